package bulletins_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/internal/browser"
	"kopa/internal/kopatest"
)

// TestEditorInChromium: an organiser writes a bulletin in the console in a
// real Chromium, uploads an image (and is told, beside the field, that a
// text file is not one), previews it in each language, sends it, follows
// its progress and finds it in the public archive. axe-core checks the
// editor, the preview, the progress and the archive.
func TestEditorInChromium(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	kopatest.Organiser(t, app, "org@example.com")
	subscribers(t, app)
	srv := kopatest.Serve(t, app)

	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, 10, color.RGBA{R: 158, G: 27, B: 50, A: 255})
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	photo, fake := filepath.Join(dir, "photo.png"), filepath.Join(dir, "notes.png")
	if err := os.WriteFile(photo, pic.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, []byte("plain text, not an image"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := browser.New(t)
	if err := browser.Login(ctx, srv.URL, "org@example.com", kopatest.Password); err != nil {
		t.Fatal(err)
	}
	steps := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := browser.Within(ctx, 30*time.Second, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	steps("write",
		chromedp.Navigate(srv.URL+"/manage/bulletins?lang=en"),
		chromedp.Click(`a[href="/manage/bulletins/new"]`),
		browser.WaitVisible("#title_lv"),
		chromedp.SendKeys("#title_lv", "Jaunumi no Kopā"),
		chromedp.SendKeys("#body_lv", "Sveiki, **draugi**!\n\nŠoruden notika piecas diskusijas."),
		chromedp.SendKeys("#title_en", "News from Kopā"),
		chromedp.SendKeys("#summary_en", "Five discussions this autumn."),
		chromedp.SendKeys("#title_ru", "Новости Kopā"),
		chromedp.SendKeys("#summary_ru", "Этой осенью прошли пять дискуссий."),
		chromedp.SetUploadFiles("#images", []string{photo}),
		chromedp.Click(`#bulletin-form button[type=submit]`),
		browser.WaitVisible(".images img"),
	)
	b, err := app.FindFirstRecordByData(bulletins.ColBulletins, "title_lv", "Jaunumi no Kopā")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.GetStringSlice("images")); n != 1 || b.GetString("status") != bulletins.BulletinDraft || b.GetString("summary_ru") == "" {
		t.Fatalf("saved: %d images, %v", n, b.FieldsData())
	}
	browser.AssertAccessible(t, ctx, "editor")

	// A text file is refused beside its field; nothing is stored.
	steps("not an image",
		chromedp.SetUploadFiles("#images", []string{fake}),
		chromedp.Click(`#bulletin-form button[type=submit]`),
		browser.WaitVisible("#images-error"),
	)
	msg, err := chromedp.Run(ctx, chromedp.Text("#images-error"))
	if err != nil || !strings.Contains(msg, "Only images") {
		t.Errorf("error beside the field: %q %v", msg, err)
	}
	invalid, _ := chromedp.Run(ctx, chromedp.AttributeValue("#images", "aria-invalid"))
	if invalid.Value != "true" {
		t.Errorf("the field is not marked invalid: %q", invalid.Value)
	}
	if b, _ = app.FindRecordById(bulletins.ColBulletins, b.Id); len(b.GetStringSlice("images")) != 1 {
		t.Errorf("%d images after a refused upload", len(b.GetStringSlice("images")))
	}
	browser.AssertAccessible(t, ctx, "editor with an error")

	steps("preview",
		chromedp.Navigate(srv.URL+"/manage/bulletins/"+b.Id+"/preview?lang=en"),
		browser.WaitVisible("#preview-ru"),
	)
	text, _ := chromedp.Run(ctx, chromedp.Text("main"))
	for _, want := range []string{"Five discussions this autumn.", "Этой осенью прошли пять дискуссий.", "Šoruden notika piecas diskusijas."} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	browser.AssertAccessible(t, ctx, "preview")

	steps("send",
		chromedp.Navigate(srv.URL+"/manage/bulletins/"+b.Id+"?lang=en"),
		chromedp.Click(`form[action$="/send"] button`),
		browser.WaitVisible("#progress-h"),
	)
	browser.AssertAccessible(t, ctx, "progress")
	if n := queuedBulletins(t, app); n != 3 {
		t.Errorf("%d mails queued", n)
	}

	steps("archive",
		chromedp.Navigate(srv.URL+"/bulletins?lang=ru"),
		browser.WaitVisible(`a[href="/bulletins/`+b.Id+`"]`),
	)
	browser.AssertAccessible(t, ctx, "archive")
	steps("bulletin",
		chromedp.Click(`a[href="/bulletins/`+b.Id+`"]`),
		browser.WaitVisible("article h1"),
	)
	text, _ = chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(text, "Новости Kopā") || !strings.Contains(text, "Этой осенью") || !strings.Contains(text, "draugi") {
		t.Errorf("the archive's bulletin in Russian: %q", text)
	}
	browser.AssertAccessible(t, ctx, "archive bulletin")
}
