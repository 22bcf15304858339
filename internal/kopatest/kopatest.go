// Package kopatest builds PocketBase test apps with Kopā's schema, and the
// fixtures most tests need (organisers, volunteers, events).
package kopatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/crypto/bcrypt"

	"kopa/internal/domain"
	"kopa/internal/testrun"
	_ "kopa/pb_migrations" // Kopā's schema
)

// Password is the password of every fixture account.
const Password = "kopa-test-password"

// NewApp returns a test app on an empty data folder with every migration
// applied and the rate limiter off, after calling each register function on
// it (pass hooks.Default for the whole of Kopā). The app is cleaned up when
// the test ends. Its passwords are hashed at PasswordCost in a test, at the
// real binary's cost in a benchmark.
//
// The migrations run once per test process (see testrun): each app starts
// from a copy of that migrated data folder.
func NewApp(t testing.TB, register ...func(core.App)) *tests.TestApp {
	t.Helper()
	schema, err := testrun.Share(t, "kopatest.schema", migrated)
	if err != nil {
		t.Fatalf("test app: %v", err)
	}
	app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{
		DataDir:       schema,
		EncryptionEnv: "pb_test_env",
	})
	if err != nil {
		t.Fatalf("test app: %v", err)
	}
	t.Cleanup(app.Cleanup)
	if _, bench := t.(*testing.B); bench {
		realPasswords(t, app)
	}
	for _, r := range register {
		r(app)
	}
	return app
}

// migrated makes a data folder with every migration applied and the rate
// limiter off, and returns it with the function that removes it.
func migrated() (string, func(), error) {
	empty, err := os.MkdirTemp("", "kopa-schema-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(empty)
	// The test app copies empty into a folder of its own and migrates that.
	app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: empty, EncryptionEnv: "pb_test_env"})
	if err != nil {
		return "", nil, err
	}
	dir := app.DataDir()
	remove := func() { _ = os.RemoveAll(dir) }
	// The migrations switch PocketBase's rate limiter on; tests send many
	// requests from one address, so it is off here unless a test turns it on.
	s, err := app.Settings().Clone()
	if err == nil {
		s.RateLimits.Enabled = false
		err = app.Save(s)
	}
	if err == nil {
		err = cheapPasswords(app)
	}
	// Close the databases (the folder stays) so that copies are whole.
	if rerr := app.ResetBootstrapState(); err == nil {
		err = rerr
	}
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("migrated data folder: %w", err)
	}
	return dir, remove, nil
}

// PasswordCost is the bcrypt cost of the test apps' passwords: bcrypt's
// least. At the real binary's cost (bcrypt's default, 10) each fixture
// account and each sign-in of a test takes some 60 ms of a core, most of
// the test run's time. A sign-in that finds no account still compares a
// stand-in hash of the collection's own cost, so the tests of that path
// hold at any cost; the timing itself is measured by benchmarks against
// the real cost: NewApp gives a benchmark's app the real cost back.
const PasswordCost = bcrypt.MinCost

// cheapPasswords sets the password cost of every auth collection of app to
// PasswordCost.
func cheapPasswords(app core.App) error {
	cs, err := app.FindAllCollections(core.CollectionTypeAuth)
	if err != nil {
		return err
	}
	for _, c := range cs {
		f, ok := c.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField)
		if !ok || f.Cost == PasswordCost {
			continue
		}
		f.Cost = PasswordCost
		if err := app.Save(c); err != nil {
			return fmt.Errorf("password cost of %s: %w", c.Name, err)
		}
	}
	return nil
}

// realPasswords gives app's auth collections back the password cost of the
// real binary (bcrypt's default, as the migrations leave it).
func realPasswords(t testing.TB, app core.App) {
	t.Helper()
	cs, err := app.FindAllCollections(core.CollectionTypeAuth)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if f, ok := c.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField); ok {
			f.Cost = 0 // bcrypt.DefaultCost
			if err := app.Save(c); err != nil {
				t.Fatalf("password cost of %s: %v", c.Name, err)
			}
		}
	}
}

// Factory adapts NewApp to tests.ApiScenario's TestAppFactory.
func Factory(register ...func(core.App)) func(testing.TB) *tests.TestApp {
	return func(t testing.TB) *tests.TestApp { return NewApp(t, register...) }
}

// Organiser creates an organiser account.
func Organiser(t testing.TB, app core.App, email string) *core.Record {
	t.Helper()
	return save(t, app, domain.Organisers, map[string]any{
		"email": email, "name": "Organiser " + email, "password": Password, "verified": true,
	})
}

// Volunteer creates a volunteer account with the given languages and
// skills, approved by the organisers unless a status is given ("pending",
// "paused").
func Volunteer(t testing.TB, app core.App, email string, languages, skills []string, status ...string) *core.Record {
	t.Helper()
	st := "approved"
	if len(status) > 0 {
		st = status[0]
	}
	return save(t, app, domain.Volunteers, map[string]any{
		"email": email, "name": "Volunteer " + email, "password": Password, "verified": true,
		"languages": languages, "skills": skills, "locale": "en", "contact_consent": true,
		"status": st,
	})
}

// Token returns an auth token for an organiser or volunteer record.
func Token(t testing.TB, record *core.Record) string {
	t.Helper()
	token, err := record.NewAuthToken()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return token
}

// EventOpts describes a fixture event; the zero value is a published
// discussion tomorrow with no seat limit.
type EventOpts struct {
	Kind     string
	Title    string
	Status   domain.EventStatus
	Capacity int
	Waitlist bool
	Starts   time.Time
	Duration time.Duration
}

// Event creates an event.
func Event(t testing.TB, app core.App, o EventOpts) *core.Record {
	t.Helper()
	if o.Kind == "" {
		o.Kind = domain.KindDiscussion
	}
	if o.Title == "" {
		o.Title = "Bēgļu nodarbinātība"
	}
	if o.Status == "" {
		o.Status = domain.EventPublished
	}
	if o.Starts.IsZero() {
		o.Starts = time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	}
	if o.Duration == 0 {
		o.Duration = 2 * time.Hour
	}
	return save(t, app, domain.Events, map[string]any{
		"kind": o.Kind, "title_lv": o.Title, "title_en": o.Title + " (en)", "title_ru": o.Title + " (ru)",
		"summary_lv": "Apraksts", "venue": "Rīga, Brīvības iela 1", "status": o.Status,
		"starts_at": domain.DateTime(o.Starts), "ends_at": domain.DateTime(o.Starts.Add(o.Duration)),
		"capacity": o.Capacity, "waitlist": o.Waitlist,
	})
}

// Registration creates a registration with the given status.
func Registration(t testing.TB, app core.App, event *core.Record, name, email string, status domain.RegistrationStatus) *core.Record {
	t.Helper()
	return save(t, app, domain.Registrations, map[string]any{
		"event": event.Id, "name": name, "email": email, "status": status, "locale": "lv",
	})
}

// Party saves on registration r how many people it is for, the children
// among them to mind and the languages they need interpreted (none when
// langs is empty), and returns r.
func Party(t testing.TB, app core.App, r *core.Record, party, children int, langs ...string) *core.Record {
	t.Helper()
	if langs == nil {
		langs = []string{}
	}
	r.Set("party", party)
	r.Set("childcare", children)
	r.Set("interpretation", langs)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func save(t testing.TB, app core.App, collection string, data map[string]any) *core.Record {
	t.Helper()
	c, err := app.FindCachedCollectionByNameOrId(collection)
	if err != nil {
		t.Fatalf("collection %s: %v", collection, err)
	}
	r := core.NewRecord(c)
	// A password is hashed once, by SetPassword (Load would hash it too).
	pw, hasPassword := data["password"].(string)
	for k, v := range data {
		if k != "password" {
			r.Set(k, v)
		}
	}
	if hasPassword {
		r.SetPassword(pw)
	}
	if err := app.Save(r); err != nil {
		t.Fatalf("save %s: %v", collection, err)
	}
	return r
}

// Shift creates a shift of an event.
func Shift(t testing.TB, app core.App, event *core.Record, role string, starts, ends time.Time) *core.Record {
	t.Helper()
	return save(t, app, domain.Shifts, map[string]any{
		"event": event.Id, "role": role, "needed": 2, "starts_at": domain.DateTime(starts), "ends_at": domain.DateTime(ends),
	})
}

// Assignment links a volunteer to a shift with the given status.
func Assignment(t testing.TB, app core.App, shift, volunteer *core.Record, status domain.AssignmentStatus) *core.Record {
	t.Helper()
	return save(t, app, domain.Assignments, map[string]any{
		"shift": shift.Id, "volunteer": volunteer.Id, "status": status,
	})
}

// Serve starts a real HTTP server for app on a loopback port, with every
// OnServe hook run as `kopa serve` runs them, and sets the app's public
// address (meta.appURL) to it. It stops when the test ends.
func Serve(t testing.TB, app *tests.TestApp) *httptest.Server {
	t.Helper()
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	// The address is known before the server starts: set it before the
	// OnServe hooks start workers that read the settings.
	ChangeSettings(t, app, func(s *core.Settings) { s.Meta.AppURL = "http://" + srv.Listener.Addr().String() })
	se := &core.ServeEvent{App: app, Router: router, Server: &http.Server{Addr: srv.Listener.Addr().String()}}
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		srv.Config.Handler = mux
		return nil
	})
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	// PocketBase's OnServe starts its cron, on the wall clock. Its jobs
	// (reminders every minute, volunteer reminders, the nightly erasure)
	// would then mail people whenever a test crosses a minute boundary; a
	// test of a job runs it itself (cron.Job.Run, or the job's function
	// with the time it needs).
	app.Cron().Stop()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// ChangeSettings changes a copy of app's settings and saves it. The app's
// own settings are read by its workers (the outbox) while a test runs, and
// the save reloads them; changing them in place would race with those
// reads.
func ChangeSettings(t testing.TB, app core.App, change func(*core.Settings)) {
	t.Helper()
	s, err := app.Settings().Clone()
	if err != nil {
		t.Fatalf("settings: %v", err)
	}
	change(s)
	if err := app.Save(s); err != nil {
		t.Fatalf("save settings: %v", err)
	}
}

// CloneFactory returns a TestAppFactory whose every app is a fresh copy of
// src's data (same records, ids and valid tokens), with the register
// functions applied. Scenarios then share fixtures without sharing state.
func CloneFactory(src *tests.TestApp, register ...func(core.App)) func(testing.TB) *tests.TestApp {
	return func(t testing.TB) *tests.TestApp {
		t.Helper()
		app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: src.DataDir(), EncryptionEnv: "pb_test_env"})
		if err != nil {
			t.Fatalf("clone test app: %v", err)
		}
		for _, r := range register {
			r(app)
		}
		return app
	}
}

// BenchPost sends b.N POST requests with JSON bodies from 16 concurrent
// clients and reports p50 and p99 latency beside ns/op. body(i) makes the
// i-th body (i from 0); token, when set, goes in the Authorization header;
// every answer must have status want.
func BenchPost(b *testing.B, url, token string, body func(i int64) any, want int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	// RunParallel starts parallelism × GOMAXPROCS goroutines: 16 clients.
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			data, _ := json.Marshal(body(n.Add(1) - 1))
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", token)
			}
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			if res.StatusCode != want {
				b.Errorf("status %d, want %d", res.StatusCode, want)
				return
			}
		}
	})
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchRecordCreateAsOrganiser is the baseline the hot paths' benchmarks
// are read against: an organiser creating a plain record (a name and an
// e-mail) through PocketBase's record API on app, 16 clients at a time.
func BenchRecordCreateAsOrganiser(b *testing.B, app *tests.TestApp) {
	b.Helper()
	c := core.NewBaseCollection("bench_plain")
	rule := "@request.auth.collectionName = 'organisers'"
	c.CreateRule = &rule
	c.Fields.Add(&core.TextField{Name: "name", Required: true, Max: 200}, &core.EmailField{Name: "email"})
	if err := app.Save(c); err != nil {
		b.Fatal(err)
	}
	token := Token(b, Organiser(b, app, "org@example.com"))
	srv := Serve(b, app)
	BenchPost(b, srv.URL+"/api/collections/bench_plain/records", token, func(i int64) any {
		return map[string]any{"name": fmt.Sprintf("Guest %d", i), "email": fmt.Sprintf("g%d@example.com", i)}
	}, 200)
}
