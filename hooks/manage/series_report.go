package manage

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/reports"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// SeriesSection is one series on the reports page: its report over all its
// sessions, and a chart of the people who came to each.
type SeriesSection struct {
	ID     string
	Titles map[string]string
	Report reports.SeriesReport
	Chart  SeriesChart
}

// TitleIn is the series' title in lang, or the Latvian one.
func (s SeriesSection) TitleIn(lang string) string {
	if t := s.Titles[lang]; t != "" {
		return t
	}
	return s.Titles["lv"]
}

// ReturningAt is how many people came to at least n sessions.
func (s SeriesSection) ReturningAt(n int) int { return s.Report.Returning[fmt.Sprint(n)] }

// seriesSections are the series with a session that starts in [start,
// end), by their first such session, each with its whole report as of now.
func seriesSections(app core.App, start, end, now time.Time) ([]SeriesSection, error) {
	var rows []struct {
		ID      string `db:"id"`
		TitleLV string `db:"title_lv"`
		TitleEN string `db:"title_en"`
		TitleRU string `db:"title_ru"`
	}
	err := app.DB().NewQuery(`SELECT s.id, s.title_lv, s.title_en, s.title_ru FROM series s
		JOIN events e ON e.series = s.id
		WHERE e.starts_at >= {:from} AND e.starts_at < {:to}
		GROUP BY s.id ORDER BY MIN(e.starts_at), s.id`).
		Bind(dbx.Params{"from": domain.DateTime(start).String(), "to": domain.DateTime(end).String()}).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("series of the period: %w", err)
	}
	out := make([]SeriesSection, 0, len(rows))
	for _, r := range rows {
		rep, err := reports.SeriesFigures(app, r.ID, now)
		if err != nil {
			return nil, err
		}
		out = append(out, SeriesSection{ID: r.ID, Titles: map[string]string{"lv": r.TitleLV, "en": r.TitleEN, "ru": r.TitleRU},
			Report: rep, Chart: NewSeriesChart(rep)})
	}
	return out, nil
}

// SeriesChart is the bar chart of a series' held sessions: one bar per
// session, as high as the people who came. Laid out here, drawn by the
// template as inline SVG, like the attendance chart.
type SeriesChart struct {
	Width, Height, Top, Bottom, Left int
	Bars                             []SeriesBar
	Ticks                            []ChartTick
}

// SeriesBar is one session of the chart.
type SeriesBar struct {
	Label     string
	CheckedIn int
	X         int
	Bar       ChartRect
	// Labelled is set on the bars whose date is written under the axis:
	// every one while they fit, fewer in a long series.
	Labelled bool
}

// seriesSlot is the width of a session's slot: narrower than a week's of
// the attendance chart, as a series may have a hundred sessions.
const seriesSlot = 28

// NewSeriesChart lays out rep's held sessions.
func NewSeriesChart(rep reports.SeriesReport) SeriesChart {
	scale := niceCeil(rep.Max())
	c := SeriesChart{Top: chartTop, Bottom: chartTop + chartPlot, Left: chartLeft}
	c.Width = chartLeft + max(len(rep.Held), 1)*seriesSlot + 8
	c.Height = c.Bottom + chartLabels
	for i := 0; i <= 4; i++ {
		v := scale * i / 4
		if i > 0 && v == scale*(i-1)/4 {
			continue
		}
		c.Ticks = append(c.Ticks, ChartTick{Y: c.Bottom - v*chartPlot/scale, Value: v})
	}
	every := 1 + len(rep.Held)/26 // at most about 26 dates under the axis
	for i, s := range rep.Held {
		h := s.CheckedIn * chartPlot / scale
		x := chartLeft + i*seriesSlot + seriesSlot/2
		c.Bars = append(c.Bars, SeriesBar{
			Label: s.StartsAt.In(i18n.Riga).Format("02.01."), CheckedIn: s.CheckedIn, X: x,
			Bar: ChartRect{X: x - chartBar/2, Y: c.Bottom - h, W: chartBar, H: h}, Labelled: i%every == 0,
		})
	}
	return c
}
