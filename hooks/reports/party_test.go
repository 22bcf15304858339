package reports_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/reports"
	"kopa/internal/kopatest"
)

// TestReportsCountPeople: the attendance report counts the people of a
// party, confirmed and arrived, and the registrations' CSV gives each
// party, its children to mind and who arrived after the contract's
// columns.
func TestReportsCountPeople(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	starts := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	ev := kopatest.Event(t, src, kopatest.EventOpts{Title: "Ģimeņu diena", Kind: "culture", Capacity: 12, Starts: starts})
	add := func(name string, party, childcare, arrived int) {
		r := kopatest.Party(t, src, kopatest.Registration(t, src, ev, name, name+"@example.com", "confirmed"), party, childcare)
		if arrived < 0 {
			return
		}
		col, _ := src.FindCollectionByNameOrId("checkins")
		c := core.NewRecord(col)
		c.Load(map[string]any{"registration": r.Id, "event": ev.Id, "at": time.Now().UTC().Format("2006-01-02 15:04:05.000Z"), "method": "manual", "arrived": arrived})
		if err := src.Save(c); err != nil {
			t.Fatal(err)
		}
	}
	add("haddad", 4, 2, 3)
	add("ozols", 2, 0, -1)
	add("single", 1, 0, 0)
	rep, err := reports.Attendance(src, starts.Add(-time.Hour), starts.Add(time.Hour))
	if err != nil || len(rep.Events) != 1 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	if r := rep.Events[0]; r.Confirmed != 7 || r.CheckedIn != 4 {
		t.Errorf("confirmed %d, checked in %d: want the people, 7 and 4", r.Confirmed, r.CheckedIn)
	}
	if tot := rep.Totals["culture"]; tot.Registered != 7 || tot.CheckedIn != 4 {
		t.Errorf("totals %+v", tot)
	}
	org := map[string]string{"Authorization": kopatest.Token(t, kopatest.Organiser(t, src, "org@example.com"))}
	(&tests.ApiScenario{Name: "CSV with parties", Method: http.MethodGet, URL: "/api/events/" + ev.Id + "/registrations.csv", Headers: org,
		TestAppFactory: kopatest.CloneFactory(src, hooks.Default), ExpectedStatus: 200,
		ExpectedContent: []string{"checked_in_at,party,childcare,arrived\r\n", ",4,2,3\r\n", ",2,0,0\r\n", ",1,0,1\r\n"}}).Test(t)
}
