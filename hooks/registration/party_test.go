package registration_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"kopa/hooks"
	"kopa/hooks/attendance"
	"kopa/hooks/registration"
	"kopa/internal/domain"
	"kopa/internal/kopatest"
)

// familyEvent is a fixture event that takes parties of up to maxParty,
// people without an e-mail address where noEmail, and offers child minding
// where childcare.
func familyEvent(t testing.TB, app core.App, o kopatest.EventOpts, maxParty int, noEmail, childcare bool) *core.Record {
	t.Helper()
	ev := kopatest.Event(t, app, o)
	ev.Set("max_party", maxParty)
	ev.Set("email_optional", noEmail)
	ev.Set("childcare", childcare)
	if err := app.Save(ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// partyOf stores a registration of a party of n people.
func partyOf(t testing.TB, app core.App, ev *core.Record, name string, status domain.RegistrationStatus, n int) *core.Record {
	t.Helper()
	r := kopatest.Registration(t, app, ev, name, strings.ToLower(name)+"@example.com", status)
	r.Set("party", n)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// people counts the registrations and the people of an event's
// registrations with a status, straight from the database.
func people(t testing.TB, app core.App, eventID string, status domain.RegistrationStatus) (rows, sum int) {
	t.Helper()
	var regs []*core.Record
	if err := app.RecordQuery("registrations").AndWhere(hashExp("event", eventID, "status", string(status))).All(&regs); err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		sum += domain.Party(r)
	}
	return len(regs), sum
}

func TestRegisterAParty(t *testing.T) {
	t.Parallel()
	src := kopatest.NewApp(t)
	family := familyEvent(t, src, kopatest.EventOpts{Capacity: 10, Waitlist: true}, 4, false, true)
	partyOf(t, src, family, "Amina", "confirmed", 3)
	plain := kopatest.Event(t, src, kopatest.EventOpts{Capacity: 10})
	noMail := familyEvent(t, src, kopatest.EventOpts{Capacity: 10}, 3, true, false)
	tight := familyEvent(t, src, kopatest.EventOpts{Capacity: 5, Waitlist: true}, 6, false, false)
	partyOf(t, src, tight, "Olek", "confirmed", 3)
	tightNoWait := familyEvent(t, src, kopatest.EventOpts{Capacity: 5}, 4, false, false)
	partyOf(t, src, tightNoWait, "Ivan", "confirmed", 3)
	factory := kopatest.CloneFactory(src, hooks.Default)
	url := func(ev *core.Record) string { return "/api/events/" + ev.Id + "/register" }
	// nothingStored: a refused registration stores no row and queues no mail.
	nothingStored := func(ev *core.Record, want int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			n, err := app.CountRecords("registrations", hashExp("event", ev.Id))
			if err != nil || int(n) != want {
				t.Errorf("%d registrations stored, want %d (%v)", n, want, err)
			}
			if m := mails(t, app, ""); m != 0 {
				t.Errorf("%d mails queued for a refused registration", m)
			}
		}
	}
	stored := func(email string, party, childcare int) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, _ *http.Response) {
			r, err := app.FindFirstRecordByData("registrations", "email", email)
			if err != nil {
				t.Fatal(err)
			}
			if r.GetInt("party") != party || r.GetInt("childcare") != childcare {
				t.Errorf("stored party %d, childcare %d; want %d, %d", r.GetInt("party"), r.GetInt("childcare"), party, childcare)
			}
		}
	}
	bad := func(name string, ev *core.Record, fixtures int, b, field, code string) tests.ApiScenario {
		return tests.ApiScenario{Name: name, Method: http.MethodPost, URL: url(ev), Body: body(b), ExpectedStatus: 400,
			ExpectedContent: []string{`"status":400`, `"` + field + `":{"code":"` + code + `"`}, AfterTestFunc: nothingStored(ev, fixtures)}
	}

	scenarios := []tests.ApiScenario{
		{Name: "a family of three with two children to mind", Method: http.MethodPost, URL: url(family),
			Body:           body(`{"name":"Leyla","email":"leyla@example.com","party":3,"childcare":2,"interpretation":["fa"]}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`, `"party":3`, `"ticket":"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				stored("leyla@example.com", 3, 2)(t, app, res)
				if n := mails(t, app, "ticket_confirmed"); n != 1 {
					t.Errorf("%d ticket mails", n)
				}
				st, _ := attendance.ForEvent(app, family.Id)
				if st.Confirmed != 6 || st.SeatsLeft() != 4 {
					t.Errorf("counts %+v: want 6 people confirmed, 4 seats left", st)
				}
			}},
		{Name: "no party is one person", Method: http.MethodPost, URL: url(plain), Body: body(`{"name":"Anna","email":"anna@example.com"}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`, `"party":1`}, AfterTestFunc: stored("anna@example.com", 1, 0)},
		{Name: "a party of one where parties are not taken", Method: http.MethodPost, URL: url(plain), Body: body(`{"name":"Anna","email":"anna@example.com","party":1}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"party":1`}},
		bad("party 0", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":0}`, "party", "validation_min_less_equal_than_required"),
		bad("a negative party", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":-2}`, "party", "validation_min_less_equal_than_required"),
		bad("a party over max_party", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":5}`, "party", "validation_party_too_big"),
		bad("a party of two where the event takes one", plain, 0, `{"name":"Leyla","email":"leyla@example.com","party":2}`, "party", "validation_party_too_big"),
		bad("a party over any event's limit", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":21}`, "party", "validation_max_greater_equal_than_required"),
		bad("a party that is no number", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":"three"}`, "party", "validation_invalid_type"),
		bad("a party bigger than all the seats", tight, 1, `{"name":"Leyla","email":"leyla@example.com","party":6}`, "party", "validation_party_too_big"),
		bad("more children than people", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":2,"childcare":3}`, "childcare", "validation_childcare_over_party"),
		bad("a child to mind and no party", family, 1, `{"name":"Leyla","email":"leyla@example.com","childcare":2}`, "childcare", "validation_childcare_over_party"),
		bad("negative children", family, 1, `{"name":"Leyla","email":"leyla@example.com","party":2,"childcare":-1}`, "childcare", "validation_min_less_equal_than_required"),
		bad("childcare where it is not offered", noMail, 0, `{"name":"Leyla","email":"leyla@example.com","party":2,"childcare":1}`, "childcare", "validation_no_childcare"),
		bad("a missing e-mail where it is required", family, 1, `{"name":"Leyla","party":2}`, "email", "validation_required"),
		bad("an empty e-mail where it is required", plain, 0, `{"name":"Leyla","email":"  "}`, "email", "validation_required"),
		{Name: "childcare 0 where it is not offered is fine", Method: http.MethodPost, URL: url(noMail), Body: body(`{"name":"Leyla","email":"leyla@example.com","childcare":0}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`}},
		{Name: "without an e-mail where it is optional: the ticket, and no mail", Method: http.MethodPost, URL: url(noMail), Body: body(`{"name":"Reza","party":2}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`, `"party":2`, `"ticket":"`, `"ticket_url":"/t/`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				r, err := app.FindFirstRecordByData("registrations", "name", "Reza")
				if err != nil || r.GetString("email") != "" || r.GetInt("party") != 2 {
					t.Fatalf("stored %v (%v)", r, err)
				}
				if m := mails(t, app, ""); m != 0 {
					t.Errorf("%d mails queued for a registration without an address", m)
				}
			}},
		{Name: "two people without an e-mail are two registrations", Method: http.MethodPost, URL: url(noMail), Body: body(`{"name":"Reza","email":""}`),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				in := registration.Input{Name: "Reza", Locale: "lv"}
				if err := in.Normalize(); err != nil {
					t.Fatal(err)
				}
				if res, err := registration.Create(app, noMail.Id, in, time.Now()); err != nil || res.Status != "confirmed" {
					t.Fatalf("first: %+v %v", res, err)
				}
			},
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`, `"ticket":"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if n, _ := app.CountRecords("registrations", hashExp("event", noMail.Id)); n != 2 {
					t.Errorf("%d registrations, want 2", n)
				}
			}},
		{Name: "a party that does not fit waits whole", Method: http.MethodPost, URL: url(tight), Body: body(`{"name":"Leyla","email":"leyla@example.com","party":3}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"waitlisted"`, `"position":1`, `"party":3`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				if _, sum := people(t, app, tight.Id, "confirmed"); sum != 3 {
					t.Errorf("%d people confirmed, want 3", sum)
				}
				if n := mails(t, app, "ticket_waitlisted"); n != 1 {
					t.Errorf("%d waiting-list mails", n)
				}
			}},
		{Name: "a party that fits the seats left is confirmed", Method: http.MethodPost, URL: url(tight), Body: body(`{"name":"Leyla","email":"leyla@example.com","party":2}`),
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"confirmed"`, `"party":2`}},
		{Name: "a party that does not fit where nobody waits is refused whole", Method: http.MethodPost, URL: url(tightNoWait), Body: body(`{"name":"Leyla","email":"leyla@example.com","party":3}`),
			ExpectedStatus: 409, ExpectedContent: []string{`"data":{"code":"full"}`}, AfterTestFunc: nothingStored(tightNoWait, 1)},
		{Name: "the same address again is still exists", Method: http.MethodPost, URL: url(tight), Body: body(`{"name":"Olek","email":"olek@example.com","party":1}`),
			ExpectedStatus: 200, ExpectedContent: []string{`{"status":"exists"}`}, NotExpectedContent: []string{"ticket", "party"}},
		{Name: "availability counts people", Method: http.MethodGet, URL: "/api/events/" + tight.Id + "/availability",
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				partyOf(t, app, tight, "Waiting", "waitlisted", 4)
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"capacity":5`, `"seats_left":2`, `"waitlisted":4`}},
	}
	for _, s := range scenarios {
		s.TestAppFactory = factory
		s.Test(t)
	}
}

// TestPartiesUnderABurst: parties of one to four register at once, through
// the batched path, for an event with a waiting list and one without:
// never more people confirmed than seats, every waiting or refused party
// was one that did not fit the seats left at the end, and the counts the
// pages show are the people stored.
func TestPartiesUnderABurst(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	waiting := familyEvent(t, app, kopatest.EventOpts{Capacity: 37, Waitlist: true}, 4, false, false)
	refusing := familyEvent(t, app, kopatest.EventOpts{Capacity: 23}, 4, false, false)

	const n = 120
	type answer struct {
		party  int
		status string
		err    error
	}
	for _, ev := range []*core.Record{waiting, refusing} {
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				in := registration.Input{Name: fmt.Sprintf("Guest %d", i), Email: fmt.Sprintf("g%d@example.com", i), Locale: "en", Party: 1 + i%4}
				if err := in.Normalize(); err != nil {
					t.Error(err)
					return
				}
				res, err := registration.Create(app, ev.Id, in, time.Now())
				answers[i] = answer{party: in.Party, status: res.Status, err: err}
			})
		}
		wg.Wait()

		capacity := ev.GetInt("capacity")
		_, confirmed := people(t, app, ev.Id, "confirmed")
		_, waited := people(t, app, ev.Id, "waitlisted")
		if confirmed > capacity {
			t.Fatalf("%d people confirmed on %d seats", confirmed, capacity)
		}
		free := capacity - confirmed
		var said, refused int
		for i, a := range answers {
			switch {
			case errors.Is(a.err, registration.ErrFull):
				refused += a.party
				if ev.GetBool("waitlist") {
					t.Errorf("registration %d refused as full by an event with a waiting list", i)
				}
			case a.err != nil:
				t.Fatalf("registration %d: %v", i, a.err)
			case a.status == "confirmed":
				said += a.party
			default:
				if a.status != "waitlisted" {
					t.Errorf("registration %d: %s", i, a.status)
				}
			}
			if (a.err != nil || a.status == "waitlisted") && a.party <= free {
				t.Errorf("a party of %d waits or was refused while %d seats are free", a.party, free)
			}
		}
		if said != confirmed {
			t.Errorf("answers confirmed %d people, the database %d", said, confirmed)
		}
		if confirmed+waited+refused != n/4*10 {
			t.Errorf("%d confirmed + %d waiting + %d refused people, want %d", confirmed, waited, refused, n/4*10)
		}
		if free >= 4 {
			t.Errorf("%d seats left after a burst of parties of up to four", free)
		}
		st, err := attendance.ForEvent(app, ev.Id)
		if err != nil || st.Confirmed != confirmed || st.Waitlisted != waited || st.SeatsLeft() != free {
			t.Errorf("counts %+v (%v), want %d confirmed, %d waiting, %d free", st, err, confirmed, waited, free)
		}
	}
}

// TestPromotionOfParties: seats that come free go to the waiting parties in
// order; a party too big for them is passed over and keeps its place, and
// is first when enough come free. Cancelling, giving seats back and a
// capacity raise all do so.
func TestPromotionOfParties(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := familyEvent(t, app, kopatest.EventOpts{Capacity: 5, Waitlist: true}, 4, true, true)
	a := partyOf(t, app, ev, "a", "confirmed", 3)
	b := partyOf(t, app, ev, "b", "confirmed", 2)
	c := partyOf(t, app, ev, "c", "waitlisted", 3)
	d := partyOf(t, app, ev, "d", "waitlisted", 1)
	e := partyOf(t, app, ev, "e", "waitlisted", 2)
	status := func(r *core.Record) string {
		t.Helper()
		fresh, err := app.FindRecordById("registrations", r.Id)
		if err != nil {
			t.Fatal(err)
		}
		return fresh.GetString("status")
	}
	want := func(step string, statuses map[*core.Record]string) {
		t.Helper()
		for r, s := range statuses {
			if got := status(r); got != s {
				t.Errorf("%s: %s is %s, want %s", step, r.GetString("name"), got, s)
			}
		}
	}
	position := func(r *core.Record) int {
		fresh, _ := app.FindRecordById("registrations", r.Id)
		p, err := registration.Position(app, fresh)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	now := time.Now()

	// b's two seats: c (3) does not fit and keeps its place; d (1) is
	// confirmed; e (2) does not fit the one seat left.
	if _, first, err := registration.Cancel(app, b.GetString("ticket"), now); err != nil || first == nil || first.Id != d.Id {
		t.Fatalf("cancel b: first promoted %v, %v", first, err)
	}
	want("b cancelled", map[*core.Record]string{a: "confirmed", b: "cancelled", c: "waitlisted", d: "confirmed", e: "waitlisted"})
	if p := position(c); p != 1 {
		t.Errorf("c, passed over, is at %d, want 1", p)
	}
	if p := position(e); p != 2 {
		t.Errorf("e is at %d, want 2", p)
	}

	// a gives two seats back: three are free, and c, first, takes them.
	reg, promoted, err := registration.GiveBack(app, a.GetString("ticket"), 1, now)
	if err != nil || reg.GetInt("party") != 1 || len(promoted) != 1 || promoted[0].Id != c.Id {
		t.Fatalf("a gives back two: %v promoted %v, %v", reg, promoted, err)
	}
	want("a gave back two seats", map[*core.Record]string{a: "confirmed", c: "confirmed", d: "confirmed", e: "waitlisted"})
	if n := mails(t, app, "ticket_promoted"); n != 2 {
		t.Errorf("%d promotion mails, want 2 (d and c)", n)
	}

	// Giving back what the ticket does not hold, or all of it, is refused.
	for _, p := range []int{0, 1, 2, -1} {
		var verrs validation.Errors
		if _, _, err := registration.GiveBack(app, a.GetString("ticket"), p, now); !errors.As(err, &verrs) || verrs["party"] == nil {
			t.Errorf("giving back to a party of %d: %v", p, err)
		}
	}
	if _, _, err := registration.GiveBack(app, b.GetString("ticket"), 1, now); !errors.Is(err, registration.ErrNotLive) {
		t.Errorf("giving back seats of a cancelled ticket: %v", err)
	}

	// A raise of one seat lets nobody in (e needs two); of two, e.
	ev.Set("capacity", 6)
	if err := app.Save(ev); err != nil {
		t.Fatal(err)
	}
	want("capacity 6", map[*core.Record]string{e: "waitlisted"})
	ev.Set("capacity", 7)
	if err := app.Save(ev); err != nil {
		t.Fatal(err)
	}
	want("capacity 7", map[*core.Record]string{e: "confirmed"})
	st, _ := attendance.ForEvent(app, ev.Id)
	if st.Confirmed != 7 || st.Waitlisted != 0 || st.SeatsLeft() != 0 {
		t.Errorf("counts %+v", st)
	}
}

// TestGiveBackLowersChildcare: children to be minded never outnumber the
// party that is left, and a waiting party that gives seats back may then
// fit.
func TestGiveBackLowersChildcare(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := familyEvent(t, app, kopatest.EventOpts{Capacity: 4, Waitlist: true}, 4, false, true)
	partyOf(t, app, ev, "a", "confirmed", 2)
	w := partyOf(t, app, ev, "w", "waitlisted", 4)
	w.Set("childcare", 3)
	if err := app.Save(w); err != nil {
		t.Fatal(err)
	}
	reg, promoted, err := registration.GiveBack(app, w.GetString("ticket"), 2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if reg.GetInt("party") != 2 || reg.GetInt("childcare") != 2 {
		t.Errorf("party %d, childcare %d; want 2, 2", reg.GetInt("party"), reg.GetInt("childcare"))
	}
	if len(promoted) != 1 || promoted[0].Id != w.Id {
		t.Errorf("the waiting party, now fitting, was not confirmed: %v", promoted)
	}
}

// hashExp is dbx.HashExp of key and value pairs.
func hashExp(kv ...string) dbx.HashExp {
	h := dbx.HashExp{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

// TestTicketMailOfAParty: the ticket mail says how many people the ticket
// holds and how many children are to be minded, in the registrant's
// language; a ticket of one says neither.
func TestTicketMailOfAParty(t *testing.T) {
	t.Parallel()
	app := kopatest.NewApp(t, hooks.Default)
	ev := familyEvent(t, app, kopatest.EventOpts{Capacity: 10}, 4, false, true)
	r := partyOf(t, app, ev, "amina", "confirmed", 3)
	r.Set("childcare", 1)
	r.Set("locale", "uk")
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	m, err := registration.TicketMail(app, ev, r, registration.MailConfirmed)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Людей: 3", "Дітям потрібен догляд: 1"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "Людей:</strong> 3") {
		t.Errorf("HTML lacks the party")
	}
	one := partyOf(t, app, ev, "olek", "confirmed", 1)
	m, err = registration.TicketMail(app, ev, one, registration.MailConfirmed)
	if err != nil || strings.Contains(m.Text, "People") || strings.Contains(m.Text, "Cilvēki") {
		t.Errorf("a ticket of one names its party (%v):\n%s", err, m.Text)
	}
}
