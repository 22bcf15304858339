package registration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/outbox"
	"kopa/internal/i18n"
	"kopa/internal/kopatest"
)

// TestCapacityRaiseMovesTheWaitingList: raising an event's capacity in the
// console confirms the people waiting at once, in the order they came, as
// far as the new seats go, and mails each of them in their language; their
// calendar entry goes from tentative to confirmed and the one still waiting
// moves up. Lifting the limit through the record API confirms the rest; a
// newcomer never gets a seat ahead of them. Lowering the capacity or
// editing something else moves nobody.
func TestCapacityRaiseMovesTheWaitingList(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	org := kopatest.Organiser(t, app, "org@example.com")
	token := kopatest.Token(t, org)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Kind: "club", Capacity: 1, Waitlist: true})
	person(t, app, ev, "Anna", "lv", "confirmed")
	person(t, app, ev, "Farid", "en", "cancelled")
	baiba := person(t, app, ev, "Baiba", "lv", "waitlisted")
	cyril := person(t, app, ev, "Cyril", "ru", "waitlisted")
	dana := person(t, app, ev, "Dana", "en", "waitlisted")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		t.Helper()
		res, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return readBody(t, res)
	}
	status := func(r *core.Record) string {
		t.Helper()
		got, err := app.FindRecordById("registrations", r.Id)
		if err != nil {
			t.Fatal(err)
		}
		return got.GetString("status")
	}
	if ics := get("/t/" + cyril.GetString("ticket") + "/event.ics"); !strings.Contains(ics, "STATUS:TENTATIVE\r\n") {
		t.Errorf("a waiting place's calendar entry is not tentative:\n%s", ics)
	}
	if page := get("/t/" + dana.GetString("ticket") + "?lang=en"); !strings.Contains(page, "number 3 on the list") {
		t.Error("the ticket page does not show the place on the waiting list")
	}

	// The console: the organiser raises the seats from 1 to 3.
	riga := func(tm time.Time) string { return tm.In(i18n.Riga).Format("2006-01-02T15:04") }
	const csrf = "cccccccccccccccccccccccccccccccccccccccccc0"
	consoleForm := func(capacity string) url.Values {
		return url.Values{"csrf": {csrf}, "kind": {"club"}, "status": {"published"}, "venue": {ev.GetString("venue")},
			"title_lv": {ev.GetString("title_lv")}, "title_en": {ev.GetString("title_en")}, "title_ru": {ev.GetString("title_ru")},
			"summary_lv": {ev.GetString("summary_lv")}, "starts_at": {riga(ev.GetDateTime("starts_at").Time())},
			"ends_at": {riga(ev.GetDateTime("ends_at").Time())}, "capacity": {capacity}, "waitlist": {"1"}}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/manage/events/"+ev.Id, strings.NewReader(consoleForm("3").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "kopa_session="+token+"; kopa_csrf="+csrf)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, res)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("console save: %d", res.StatusCode)
	}
	if s1, s2, s3 := status(baiba), status(cyril), status(dana); s1 != "confirmed" || s2 != "confirmed" || s3 != "waitlisted" {
		t.Fatalf("after raising to 3: Baiba %s, Cyril %s, Dana %s; want the first two confirmed", s1, s2, s3)
	}
	if ics := get("/t/" + cyril.GetString("ticket") + "/event.ics"); !strings.Contains(ics, "STATUS:CONFIRMED\r\n") {
		t.Errorf("a confirmed place's calendar entry is not confirmed:\n%s", ics)
	}
	if page := get("/t/" + dana.GetString("ticket") + "?lang=en"); !strings.Contains(page, "number 1 on the list") {
		t.Error("Dana did not move up to the front of the waiting list")
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 2, 10*time.Second)
	for addr, subject := range map[string]string{
		"baiba@example.com": "Atbrīvojās vieta — jūsu biļete: Sarunu klubs",
		"cyril@example.com": "Освободилось место — ваш билет: Sarunu klubs (ru)",
	} {
		list := mp.To(t, addr)
		if len(list) != 1 || list[0].Subject != subject {
			t.Errorf("%s: %+v, want one mail %q", addr, list, subject)
			continue
		}
		m := mp.Message(t, list[0].ID)
		if cal := calendar(t, mp, m); prop(cal, "STATUS") != "CONFIRMED" {
			t.Errorf("%s: the calendar entry is %s", addr, prop(cal, "STATUS"))
		}
	}

	// The record API: lowering the capacity, or another edit, moves nobody.
	patch := func(body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPatch, base+"/api/collections/events/records/"+ev.Id, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := readBody(t, res); res.StatusCode != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", body, res.StatusCode, b)
		}
	}
	patch(`{"capacity":2}`)
	patch(`{"summary_en":"Come and talk"}`)
	if s := status(dana); s != "waitlisted" {
		t.Fatalf("lowering the capacity or an edit confirmed Dana (%s)", s)
	}
	// Lifting the limit confirms everyone waiting.
	patch(`{"capacity":0}`)
	if s := status(dana); s != "confirmed" {
		t.Fatalf("lifting the limit left Dana %s", s)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 3, 10*time.Second)
	if list := mp.To(t, "dana@example.com"); len(list) != 1 || list[0].Subject != "A seat came free — your ticket: Sarunu klubs (en)" {
		t.Errorf("Dana's mail: %+v", list)
	}
	if n := len(mp.Messages(t)); n != 3 {
		t.Errorf("%d mails in all, want the three promotions", n)
	}
}
