package browser_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"kopa/internal/browser"
)

// TestAxeTwiceOnOnePage: a second check of the same document, which keeps
// the axe-core it loaded the first time, finds what the first found.
func TestAxeTwiceOnOnePage(t *testing.T) {
	ctx := browser.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(`data:text/html,<!doctype html><html lang="en"><title>t</title><main><h1>t</h1><img src="x.png"></main>`), browser.WaitVisible("h1")); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"first", "second"} {
		vs, err := browser.Axe(ctx)
		if err != nil {
			t.Fatalf("%s: %v", run, err)
		}
		found := false
		for _, v := range vs {
			found = found || v.ID == "image-alt"
		}
		if !found {
			t.Errorf("%s check: no image-alt violation in %+v", run, vs)
		}
	}
}
