package manage

import (
	"testing"
	"time"

	"kopa/hooks/reports"
	"kopa/internal/i18n"
)

func TestChartWeeks(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, i18n.Riga) // a Tuesday
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, i18n.Riga)
	rep := reports.Report{Events: []reports.EventRow{
		// Sunday 6 December 23:30 in Riga is still the first week.
		{StartsAt: "2026-12-06 21:30:00.000Z", Confirmed: 10, CheckedIn: 7},
		// Monday 7 December 00:30 in Riga is the second.
		{StartsAt: "2026-12-06 22:30:00.000Z", Confirmed: 3, CheckedIn: 3},
		{StartsAt: "2026-12-08 16:00:00.000Z", Confirmed: 2, CheckedIn: 1},
		{StartsAt: "2026-12-31 16:00:00.000Z", Confirmed: 1, CheckedIn: 0},
	}}
	c := NewChart(rep, start.UTC(), end.UTC())
	if c.Monthly {
		t.Fatal("a month is drawn by week")
	}
	var labels []string
	for _, b := range c.Bars {
		labels = append(labels, b.Label)
	}
	want := []string{"30.11.", "07.12.", "14.12.", "21.12.", "28.12."}
	if len(labels) != len(want) {
		t.Fatalf("labels %v", labels)
	}
	for i := range want {
		if labels[i] != want[i] {
			t.Fatalf("labels %v, want %v", labels, want)
		}
	}
	sums := [][2]int{{10, 7}, {5, 4}, {0, 0}, {0, 0}, {1, 0}}
	for i, s := range sums {
		if c.Bars[i].Registered != s[0] || c.Bars[i].CheckedIn != s[1] {
			t.Errorf("week %s: %d/%d, want %v", c.Bars[i].Label, c.Bars[i].Registered, c.Bars[i].CheckedIn, s)
		}
	}
	// The tallest bar reaches the scale (20 for 10 here: 0, 5, 10, 15, 20).
	if top := c.Ticks[len(c.Ticks)-1]; top.Value != 20 || top.Y != c.Top {
		t.Errorf("top tick %+v", top)
	}
	if b := c.Bars[0]; b.Reg.H != chartPlot/2 || b.Reg.Y+b.Reg.H != c.Bottom || b.In.X <= b.Reg.X {
		t.Errorf("first bars %+v %+v", b.Reg, b.In)
	}
}

func TestChartMonthsAndEmpty(t *testing.T) {
	start := time.Date(2026, 1, 15, 0, 0, 0, 0, i18n.Riga)
	end := time.Date(2026, 7, 1, 0, 0, 0, 0, i18n.Riga)
	c := NewChart(reports.Report{}, start.UTC(), end.UTC())
	if !c.Monthly || len(c.Bars) != 6 || c.Bars[0].Label != "01.2026" || c.Bars[5].Label != "06.2026" {
		t.Fatalf("monthly %v, %d bars", c.Monthly, len(c.Bars))
	}
	for _, b := range c.Bars {
		if b.Reg.H != 0 || b.In.H != 0 {
			t.Error("an empty period has a bar")
		}
	}
	if len(c.Ticks) == 0 || c.Width <= chartLeft {
		t.Errorf("chart %+v", c)
	}
}

func TestNiceCeil(t *testing.T) {
	for n, want := range map[int]int{0: 4, 1: 4, 4: 4, 5: 8, 9: 20, 20: 20, 21: 40, 41: 80, 81: 200, 1999: 2000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}
