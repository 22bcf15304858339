package manage

import (
	"time"

	"kopa/hooks/reports"
	"kopa/internal/i18n"
)

// Chart is the attendance-over-time bar chart of the reports page, laid out
// here and drawn by the template as inline SVG: no script, nothing fetched.
type Chart struct {
	Width, Height int
	// Top and Bottom are the plot's edges; Left is where the bars begin.
	Top, Bottom, Left int
	Bars              []ChartBar
	Ticks             []ChartTick
	// Monthly is set when a bar is a month, not a week.
	Monthly bool
}

// ChartBar is one period (a week or a month) of the chart.
type ChartBar struct {
	Label                 string
	Start                 time.Time
	Registered, CheckedIn int
	// X is the centre of the period's slot; Reg and In the two bars.
	X       int
	Reg, In ChartRect
}

// ChartRect is a bar's rectangle in SVG units.
type ChartRect struct{ X, Y, W, H int }

// ChartTick is a horizontal grid line with its value.
type ChartTick struct{ Y, Value int }

// Chart geometry, in SVG units; the SVG scales to the page's width.
const (
	chartSlot   = 44
	chartBar    = 16
	chartLeft   = 40
	chartTop    = 12
	chartPlot   = 160
	chartLabels = 28
	// weeklyUpTo is the longest period drawn week by week; longer ones
	// are drawn month by month.
	weeklyUpTo = 120 * 24 * time.Hour
)

// NewChart lays out the report's events in [start, end) as one pair of bars
// (registered, checked in) per Riga week or month, empty periods included,
// so the horizontal axis is time.
func NewChart(rep reports.Report, start, end time.Time) Chart {
	c := Chart{Monthly: end.Sub(start) > weeklyUpTo}
	next := func(t time.Time) time.Time {
		if c.Monthly {
			return t.AddDate(0, 1, 0)
		}
		return t.AddDate(0, 0, 7)
	}
	first := periodStart(start, c.Monthly)
	for t := first; t.Before(end); t = next(t) {
		label := t.Format("02.01.")
		if c.Monthly {
			label = t.Format("01.2006")
		}
		c.Bars = append(c.Bars, ChartBar{Label: label, Start: t})
	}
	for _, ev := range rep.Events {
		s := ev.Start()
		for i := len(c.Bars) - 1; i >= 0; i-- {
			if !s.Before(c.Bars[i].Start) {
				c.Bars[i].Registered += ev.Confirmed
				c.Bars[i].CheckedIn += ev.CheckedIn
				break
			}
		}
	}
	top := 0
	for _, b := range c.Bars {
		top = max(top, b.Registered, b.CheckedIn)
	}
	scale := niceCeil(top)
	c.Top, c.Bottom, c.Left = chartTop, chartTop+chartPlot, chartLeft
	c.Width = chartLeft + len(c.Bars)*chartSlot + 8
	c.Height = c.Bottom + chartLabels
	for i := 0; i <= 4; i++ {
		v := scale * i / 4
		if i > 0 && v == scale*(i-1)/4 {
			continue // small scales: no two lines with one value
		}
		c.Ticks = append(c.Ticks, ChartTick{Y: c.Bottom - v*chartPlot/scale, Value: v})
	}
	for i := range c.Bars {
		b := &c.Bars[i]
		b.X = chartLeft + i*chartSlot + chartSlot/2
		hr, hi := b.Registered*chartPlot/scale, b.CheckedIn*chartPlot/scale
		b.Reg = ChartRect{X: b.X - chartBar - 1, Y: c.Bottom - hr, W: chartBar, H: hr}
		b.In = ChartRect{X: b.X + 1, Y: c.Bottom - hi, W: chartBar, H: hi}
	}
	return c
}

// periodStart is the Monday (or the first of the month) in Riga on or
// before t.
func periodStart(t time.Time, monthly bool) time.Time {
	t = t.In(i18n.Riga)
	if monthly {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, i18n.Riga)
	}
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, i18n.Riga)
}

// niceCeil is the smallest of 4, 8, 20, 40, 80, 200… that is at least n, so
// the four grid steps are whole numbers.
func niceCeil(n int) int {
	for step := 1; ; step *= 10 {
		for _, m := range []int{4, 8, 20} {
			if n <= m*step {
				return m * step
			}
		}
	}
}
