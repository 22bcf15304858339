package bulletins_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/internal/kopatest"
)

func bulletin(t testing.TB, app core.App, id, status string, sentAt time.Time) *core.Record {
	t.Helper()
	c, err := app.FindCollectionByNameOrId(bulletins.ColBulletins)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(c)
	r.Id = id
	r.Set("title_lv", "Ziņas "+id)
	r.Set("body_lv", "Sveiki, **draugi**!\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[saite](https://example.org)")
	r.Set("title_en", "News "+id)
	r.Set("summary_en", "Summary in English "+id)
	r.Set("title_ru", "Новости "+id)
	r.Set("summary_ru", "Краткое содержание "+id)
	r.Set("status", status)
	if !sentAt.IsZero() {
		r.Set("sent_at", sentAt)
	}
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func seed(t testing.TB, app *tests.TestApp) {
	bulletin(t, app, "sentbulletin001", bulletins.BulletinSent, time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC))
	bulletin(t, app, "sentbulletin002", bulletins.BulletinSent, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	bulletin(t, app, "draftbulletin01", bulletins.BulletinDraft, time.Time{})
}

// TestArchive: the sent bulletins, in the visitor's language over the
// Latvian text; drafts are nowhere; raw HTML in the text never passes.
func TestArchive(t *testing.T) {
	t.Parallel()
	unsafe := []string{"<script>", "onerror", "draftbulletin01", "Ziņas draftbulletin01"}
	scenarios := []tests.ApiScenario{
		{Name: "the list in English", Method: http.MethodGet, URL: "/bulletins?lang=en", ExpectedStatus: 200,
			ExpectedContent:    []string{`<html lang="en">`, "News sentbulletin001", "Summary in English sentbulletin002", `href="/bulletins/sentbulletin002"`, `href="/bulletins.atom"`},
			NotExpectedContent: unsafe},
		{Name: "the list in Latvian", Method: http.MethodGet, URL: "/bulletins?lang=lv", ExpectedStatus: 200,
			ExpectedContent:    []string{`<html lang="lv">`, "Ziņas sentbulletin001"},
			NotExpectedContent: append([]string{"Summary in English"}, unsafe...)},
		{Name: "a bulletin in Russian: the summary above the Latvian text", Method: http.MethodGet, URL: "/bulletins/sentbulletin001?lang=ru", ExpectedStatus: 200,
			ExpectedContent:    []string{`<html lang="ru">`, "Новости sentbulletin001", "Краткое содержание sentbulletin001", "<strong>draugi</strong>", `href="https://example.org"`},
			NotExpectedContent: []string{"<script>", "onerror", "Summary in English"}},
		{Name: "a draft is not public", Method: http.MethodGet, URL: "/bulletins/draftbulletin01", ExpectedStatus: 404,
			NotExpectedContent: []string{"Ziņas draftbulletin01"}},
		{Name: "an unknown bulletin", Method: http.MethodGet, URL: "/bulletins/nosuchbulletin1", ExpectedStatus: 404,
			ExpectedContent: []string{`<html lang="lv">`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = kopatest.Factory(hooks.Default)
		s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) { seed(t, app) }
		s.Test(t)
	}
}

// TestAtomFeed parses the feed and checks the elements Atom (RFC 4287)
// requires: the feed's id, title and updated, and each entry's id, title,
// updated and a link; drafts are not in it.
func TestAtomFeed(t *testing.T) {
	t.Parallel()
	type link struct {
		Href string `xml:"href,attr"`
	}
	type entry struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Links   []link `xml:"link"`
		Content string `xml:"content"`
	}
	type feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Entries []entry  `xml:"entry"`
	}
	s := tests.ApiScenario{
		Name: "the feed", Method: http.MethodGet, URL: "/bulletins.atom", ExpectedStatus: 200,
		TestAppFactory: kopatest.Factory(hooks.Default),
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
			kopatest.ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = "https://kopa.example.org" })
			seed(t, app)
		},
		ExpectedContent: []string{"<feed", "https://kopa.example.org/bulletins/sentbulletin002"},
		AfterTestFunc: func(t testing.TB, _ *tests.TestApp, res *http.Response) {
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
				t.Errorf("Content-Type %q", ct)
			}
		},
	}
	s.Test(t)

	// The scenario consumed the body; read the feed again from a real server.
	app := kopatest.NewApp(t, hooks.Default)
	seed(t, app)
	srv := kopatest.Serve(t, app)
	res, err := http.Get(srv.URL + "/bulletins.atom")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var f feed
	if err := xml.NewDecoder(res.Body).Decode(&f); err != nil {
		t.Fatalf("not Atom: %v", err)
	}
	if f.ID == "" || f.Title == "" {
		t.Errorf("feed id %q title %q", f.ID, f.Title)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("feed updated %q: %v", f.Updated, err)
	}
	if len(f.Entries) != 2 {
		t.Fatalf("%d entries, want the 2 sent bulletins", len(f.Entries))
	}
	if !strings.HasSuffix(f.Entries[0].ID, "/bulletins/sentbulletin002") {
		t.Errorf("newest first: %q", f.Entries[0].ID)
	}
	for _, e := range f.Entries {
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || e.Title == "" || len(e.Links) == 0 || e.Links[0].Href != e.ID {
			t.Errorf("entry %+v", e)
		}
		if strings.Contains(e.Content, "<script") || strings.Contains(e.Content, "onerror") {
			t.Errorf("unsanitised content %q", e.Content)
		}
	}
}
