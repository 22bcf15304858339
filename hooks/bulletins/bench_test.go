package bulletins_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/bulletins"
	"kopa/hooks/outbox"
	"kopa/internal/ids"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// manySubscribers stores n confirmed subscribers in one statement.
func manySubscribers(b testing.TB, app core.App, n int) {
	b.Helper()
	err := app.RunInTransaction(func(tx core.App) error {
		q := tx.DB().NewQuery("INSERT INTO {{subscribers}} ([[id]], [[email]], [[locale]], [[status]], [[token]], [[consent_at]], [[consent_source]], [[created]], [[updated]])" +
			" VALUES ({:id}, {:email}, {:locale}, 'confirmed', {:token}, {:now}, 'form', {:now}, {:now})").Prepare()
		defer q.Close()
		now := time.Now().UTC().Format("2006-01-02 15:04:05.000Z")
		for i := range n {
			_, err := q.Bind(dbx.Params{
				"id": ids.Ordered(), "email": fmt.Sprintf("reader%05d@example.com", i), "locale": []string{"lv", "en", "ru"}[i%3],
				"token": string(ids.Random(24, ids.Alphabet)), "now": now,
			}).Execute()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSendBulletin is an organiser's send of a bulletin to 10,000
// confirmed subscribers, over HTTP: the request marks the bulletin sent and
// queues the 10,000 mails (the outbox writes and sends them later). The
// target is under a second per request. Read it beside
// BenchmarkRecordCreate, an organiser's PocketBase create of one bulletin:
//
//	go test -run '^$' -bench 'SendBulletin|RecordCreate' -benchtime 5x ./hooks/bulletins/
func BenchmarkSendBulletin(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	manySubscribers(b, app, 10_000)
	token := kopatest.Token(b, kopatest.Organiser(b, app, "org@example.com"))
	srv := kopatest.Serve(b, app)
	drafts := make([]string, b.N)
	for i := range drafts {
		drafts[i] = bulletin(b, app, fmt.Sprintf("benchbulletin%02d", i), bulletins.BulletinDraft, time.Time{}).Id
	}
	client := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/bulletins/"+drafts[i]+"/send", nil)
		req.Header.Set("Authorization", token)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			b.Fatalf("send: %d", res.StatusCode)
		}
	}
	b.StopTimer()
	b.ReportMetric(10_000, "mails/op")
}

// BenchmarkRecordCreate is the baseline: an organiser's PocketBase record
// create of one bulletin, one request at a time, as the send is made.
func BenchmarkRecordCreate(b *testing.B) {
	app := kopatest.NewApp(b, hooks.Default)
	token := kopatest.Token(b, kopatest.Organiser(b, app, "org@example.com"))
	srv := kopatest.Serve(b, app)
	base := srv.URL
	client := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/collections/bulletins/records",
			strings.NewReader(fmt.Sprintf(`{"title_lv":"Ziņas %d","body_lv":"Teksts"}`, i)))
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("create: %d", res.StatusCode)
		}
	}
}

// BenchmarkRegisterAlone and BenchmarkRegisterDuringBulletin measure
// registration over HTTP with 16 clients, on a server whose outbox sends to
// a real mailpit: alone, and while a bulletin to 10,000 subscribers is being
// sent. The target is a ratio of at least 0.8 (bulk mail goes after the
// tickets, and gives way to a burst of registrations):
//
//	go test -run '^$' -bench 'RegisterAlone|RegisterDuringBulletin' -benchtime 4000x ./hooks/bulletins/
func BenchmarkRegisterAlone(b *testing.B) { benchRegister(b, false) }

// BenchmarkRegisterDuringBulletin: see BenchmarkRegisterAlone.
func BenchmarkRegisterDuringBulletin(b *testing.B) { benchRegister(b, true) }

func benchRegister(b *testing.B, during bool) {
	mp := mailpit.Start(b)
	app := kopatest.NewApp(b, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		b.Fatal(err)
	}
	ev := kopatest.Event(b, app, kopatest.EventOpts{})
	srv := kopatest.Serve(b, app)
	if during {
		manySubscribers(b, app, 10_000)
		bulletin(b, app, "benchbulletin01", bulletins.BulletinDraft, time.Time{})
		if n, err := bulletins.Send(app, "benchbulletin01"); err != nil || n != 10_000 {
			b.Fatalf("send: %d %v", n, err)
		}
		// The worker is sending the bulletin when the registrations start.
		tick := time.NewTicker(5 * time.Millisecond)
		for range tick.C {
			p, err := bulletins.ProgressOf(app, "benchbulletin01")
			if err != nil {
				b.Fatal(err)
			}
			if p.Sent > 0 {
				break
			}
		}
		tick.Stop()
	}
	kopatest.BenchPost(b, srv.URL+"/api/events/"+ev.Id+"/register", "", func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("guest%d@example.com", i), "locale": "en"}
	}, 201)
	if during {
		p, err := bulletins.ProgressOf(app, "benchbulletin01")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(p.Sent), "bulletin-mails-sent")
	}
}
