package volunteers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks"
	"kopa/hooks/outbox"
	"kopa/hooks/volunteers"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// mailApp is a whole Kopā serving on loopback and sending to mailpit.
func mailApp(t *testing.T) (*mailpit.Server, core.App, string) {
	t.Helper()
	mp := mailpit.Start(t)
	app := kopatest.NewApp(t, hooks.Default)
	if err := outbox.UseSMTP(app, mp.SMTPHost(), mp.SMTPPort()); err != nil {
		t.Fatal(err)
	}
	srv := kopatest.Serve(t, app)
	return mp, app, srv.URL
}

var inviteLink = regexp.MustCompile(`https?://[^\s"<>]+/i/([A-Za-z0-9]+)\?a=(accept|decline)&(?:amp;)?lang=(lv|en|ru)`)

// TestInvitationMailPerLocale invites three volunteers who read Latvian,
// English and Russian, reads the mails mailpit received, and answers
// through their links on the real server.
func TestInvitationMailPerLocale(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	ev := kopatest.Event(t, app, kopatest.EventOpts{Title: "Kultūršoks un kultūru dialogs"})
	starts := ev.GetDateTime("starts_at").Time()
	shift := kopatest.Shift(t, app, ev, "interpreting", starts, starts.Add(2*time.Hour))
	shift.Set("needed", 3)
	if err := app.Save(shift); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ subject, greeting, button string }{
		"lv": {"Vai vari palīdzēt? Tulkošana: Kultūršoks un kultūru dialogs", "Sveiki, Volunteer lv@example.com!", "Jā, varu palīdzēt"},
		"en": {"Can you help? Interpreting: Kultūršoks un kultūru dialogs (en)", "Hello Volunteer en@example.com,", "Yes, I can help"},
		"ru": {"Сможете помочь? Устный перевод: Kultūršoks un kultūru dialogs (ru)", "Здравствуйте, Volunteer ru@example.com!", "Да, смогу помочь"},
	}
	for lang := range want {
		volunteer(t, app, lang+"@example.com", lang, []string{"ar"}, []string{"interpreting"}, true, true)
	}
	n, err := volunteers.Invite(app, shift.Id, nil, &volunteers.Match{Languages: []string{"ar"}}, time.Now())
	if err != nil || n != 3 {
		t.Fatalf("invited %d, %v", n, err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 3, 10*time.Second)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for lang, w := range want {
		list := mp.To(t, lang+"@example.com")
		if len(list) != 1 {
			var got []string
			for _, m := range list {
				got = append(got, m.MessageID+" "+m.Created.Format(time.RFC3339Nano)+" "+m.Subject)
			}
			t.Fatalf("%s: %d mails: %q", lang, len(list), got)
		}
		m := mp.Message(t, list[0].ID)
		if m.Subject != w.subject {
			t.Errorf("%s subject %q, want %q", lang, m.Subject, w.subject)
		}
		for _, body := range []string{m.Text, m.HTML} {
			if !strings.Contains(body, w.greeting) || !strings.Contains(body, w.button) {
				t.Errorf("%s body lacks %q or %q:\n%s", lang, w.greeting, w.button, body)
			}
		}
		links := inviteLink.FindAllStringSubmatch(m.Text, -1)
		if len(links) != 2 || links[0][2] != "accept" || links[1][2] != "decline" || links[0][3] != lang || !strings.HasPrefix(links[0][0], base+"/i/") {
			t.Fatalf("%s links %v", lang, links)
		}
		if !strings.Contains(m.HTML, strings.ReplaceAll(links[0][0], "&", "&amp;")) {
			t.Errorf("%s: the HTML lacks the accept link", lang)
		}
		token := links[0][1]
		// The link opens the page in the volunteer's language.
		res, err := client.Get(links[0][0])
		if err != nil {
			t.Fatal(err)
		}
		page := readAll(t, res)
		if res.StatusCode != 200 || !strings.Contains(page, `<html lang="`+lang+`">`) || !strings.Contains(page, `action="/i/`+token+`/accept"`) {
			t.Fatalf("%s page %d", lang, res.StatusCode)
		}
		answer := "accept"
		if lang == "ru" {
			answer = "decline"
		}
		res, err = client.PostForm(base+"/i/"+token+"/"+answer, url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 303 {
			t.Fatalf("%s answer %d", lang, res.StatusCode)
		}
		a, err := app.FindFirstRecordByData("assignments", "token", token)
		if err != nil || a.GetString("status") != strings.TrimSuffix(answer, "e")+"ed" {
			t.Errorf("%s: assignment %v %v", lang, a, err)
		}
	}
	// Inviting again sends nothing new.
	if n, err := volunteers.Invite(app, shift.Id, nil, &volunteers.Match{Languages: []string{"ar"}}, time.Now()); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	if rows := outboxRows(t, app, "volunteer_invite"); len(rows) != 3 {
		t.Errorf("%d invitation mails after inviting again, want 3", len(rows))
	}
}

func readAll(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestReminderSentOnce: a shift less than a day away gets one reminder per
// accepted volunteer, however often the job runs; a later shift waits its
// turn; invited and declined volunteers get none.
func TestReminderSentOnce(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	now := time.Now()
	soon := kopatest.Event(t, app, kopatest.EventOpts{Title: "Sarunu klubs", Starts: now.Add(20 * time.Hour)})
	later := kopatest.Event(t, app, kopatest.EventOpts{Title: "Ekskursija", Starts: now.Add(72 * time.Hour)})
	doorSoon := kopatest.Shift(t, app, soon, "door", now.Add(19*time.Hour), now.Add(23*time.Hour))
	hostLater := kopatest.Shift(t, app, later, "hosting", now.Add(72*time.Hour), now.Add(74*time.Hour))
	anna := volunteer(t, app, "anna@example.com", "lv", []string{"lv"}, []string{"door", "hosting"}, true, true)
	olga := volunteer(t, app, "olga@example.com", "ru", []string{"ru"}, []string{"door"}, true, true)
	ivan := volunteer(t, app, "ivan@example.com", "en", []string{"ru"}, []string{"door"}, true, true)
	a := kopatest.Assignment(t, app, doorSoon, anna, "accepted")
	kopatest.Assignment(t, app, doorSoon, olga, "invited")
	kopatest.Assignment(t, app, doorSoon, ivan, "declined")
	kopatest.Assignment(t, app, hostLater, anna, "accepted")

	for i, want := range []int{1, 0, 0} {
		n, err := volunteers.SendReminders(app, now.Add(time.Duration(i)*15*time.Minute))
		if err != nil || n != want {
			t.Fatalf("run %d: %d reminders, %v; want %d", i, n, err, want)
		}
	}
	if _, err := outbox.Flush(app); err != nil { // the worker may have sent it already
		t.Fatal(err)
	}
	msgs := mp.WaitFor(t, 1, 10*time.Second)
	m := mp.Message(t, msgs[0].ID)
	if m.To[0].Address != "anna@example.com" || m.Subject != "Atgādinājums: Sagaidīšana pie ieejas — Sarunu klubs" {
		t.Errorf("reminder to %v: %q", m.To, m.Subject)
	}
	if !strings.Contains(m.Text, base+"/manage/events/"+soon.Id+"/scan") || !strings.Contains(m.Text, base+"/i/"+a.GetString("token")) {
		t.Errorf("reminder text:\n%s", m.Text)
	}
	r, _ := app.FindRecordById("assignments", a.Id)
	if r.GetDateTime("reminded_at").IsZero() {
		t.Error("reminded_at not set")
	}
	// Two days on, the later shift is due; the first is not reminded again.
	if n, err := volunteers.SendReminders(app, now.Add(49*time.Hour)); n != 1 || err != nil {
		t.Fatalf("later: %d %v", n, err)
	}
	if n, err := volunteers.SendReminders(app, now.Add(49*time.Hour)); n != 0 || err != nil {
		t.Fatalf("later again: %d %v", n, err)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, 2, 10*time.Second)
	if got := len(mp.To(t, "anna@example.com")); got != 2 {
		t.Errorf("anna got %d reminders, want 2 (one per shift)", got)
	}
	if len(mp.To(t, "olga@example.com"))+len(mp.To(t, "ivan@example.com")) != 0 {
		t.Error("someone who did not accept was reminded")
	}
}

// TestKnownAddressIsMailedASignInLink: signing up again with a volunteer's
// address answers as for a new one; the owner gets, in their language, a
// link that signs them in (keeping their password) and works once.
func TestKnownAddressIsMailedASignInLink(t *testing.T) {
	t.Parallel()
	mp, app, base := mailApp(t)
	v := volunteer(t, app, "olga@example.com", "ru", []string{"ru"}, []string{"door"}, true, true)
	res, err := http.Post(base+"/api/volunteers/signup", "application/json",
		body(`{"name":"Someone","email":"Olga@example.com","languages":["lv"],"locale":"en","contact_consent":true}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-up of a known address: %d", res.StatusCode)
	}
	if _, err := outbox.Flush(app); err != nil {
		t.Fatal(err)
	}
	list := mp.WaitFor(t, 1, 10*time.Second)
	m := mp.Message(t, list[0].ID)
	if m.Subject != "Вы уже волонтёр Kopā" || !strings.Contains(m.Text, "Здравствуйте, Volunteer olga@example.com!") {
		t.Fatalf("mail %q\n%s", m.Subject, m.Text)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `(/volunteer/confirm\?lang=ru&token=[A-Za-z0-9._-]+)`).FindStringSubmatch(m.Text)
	if link == nil || !strings.Contains(m.HTML, strings.ReplaceAll(link[1], "&", "&amp;")) {
		t.Fatalf("no sign-in link in\n%s", m.Text)
	}

	c := newClient(t, base)
	st, page, _ := c.do("GET", link[1], nil)
	if st != 200 || !strings.Contains(page, "Вход в Kopā") || !strings.Contains(page, "С возвращением, Volunteer olga@example.com!") {
		t.Fatalf("sign-in page %d\n%s", st, page)
	}
	token := strings.TrimPrefix(link[1], "/volunteer/confirm?lang=ru&token=")
	st, _, res = c.do("POST", "/volunteer/confirm", url.Values{"token": {token}, "action": {"skip"}})
	if st != 303 || res.Header.Get("Location") != "/volunteer/me?welcome=1" {
		t.Fatalf("sign in: %d %v", st, res.Header)
	}
	if st, page, _ := c.do("GET", "/volunteer/me?lang=en", nil); st != 200 || !strings.Contains(page, "Hello, Volunteer olga@example.com!") {
		t.Fatalf("portal %d", st)
	}
	if r, _ := app.FindRecordById("volunteers", v.Id); !r.ValidatePassword(kopatest.Password) || r.GetString("name") != "Volunteer olga@example.com" {
		t.Error("signing in by the link changed the volunteer")
	}
	if st, page, _ := c.do("GET", link[1], nil); st != 400 || !strings.Contains(page, "Эта ссылка не работает") {
		t.Errorf("the link worked twice: %d", st)
	}
}
