package outbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/mails"

	"kopa/hooks/outbox"
	"kopa/internal/kopatest"
	"kopa/internal/mailpit"
)

// TestPocketBaseMailGoesThroughTheOutbox: PocketBase's own verification
// mail becomes an outbox row (nothing is sent while SMTP is down) and is
// delivered by the worker once SMTP answers.
func TestPocketBaseMailGoesThroughTheOutbox(t *testing.T) {
	mp := mailpit.Start(t)
	app := newApp(t, mp)
	vol := kopatest.Volunteer(t, app, "new.volunteer@example.com", []string{"ar"}, []string{"interpreting"})

	mp.Stop(t)
	if err := mails.SendRecordVerification(app, vol); err != nil {
		t.Fatalf("verification mail: %v", err)
	}
	rows, err := app.FindAllRecords(outbox.Collection)
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox rows: %d %v", len(rows), err)
	}
	if rows[0].GetString("to") != "new.volunteer@example.com" || rows[0].GetString("kind") != "pocketbase" {
		t.Fatalf("row: to=%q kind=%q", rows[0].GetString("to"), rows[0].GetString("kind"))
	}
	if sent, _ := outbox.Flush(app); sent != 0 {
		t.Fatalf("sent %d while SMTP was down", sent)
	}

	mp.Restart(t)
	if err := outbox.RetryNow(app); err != nil {
		t.Fatal(err)
	}
	if sent, err := outbox.Flush(app); sent != 1 || err != nil {
		t.Fatalf("after restart: sent %d, %v", sent, err)
	}
	msgs := mp.WaitFor(t, 1, 5*time.Second)
	m := mp.Message(t, msgs[0].ID)
	if !strings.Contains(m.HTML+m.Text, "verify") && !strings.Contains(m.HTML+m.Text, "Verify") {
		t.Errorf("not the verification mail: %q", m.Text)
	}
}
