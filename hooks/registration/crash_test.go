package registration_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"kopa/internal/binarytest"
	"kopa/internal/mailpit"
)

// TestCrashLosesNoAcknowledgedRegistration runs the real binary, fires a
// burst of registrations, kills the process with SIGKILL in the middle, and
// restarts it: every registration that was answered 201 is there, and its
// ticket mail is still sent.
func TestCrashLosesNoAcknowledgedRegistration(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and crashes the real binary")
	}
	mp := mailpit.Start(t)
	srv := binarytest.Start(t)
	srv.JSON(t, http.MethodPatch, "/api/settings", srv.SuperToken, map[string]any{
		"meta":       map[string]any{"appURL": srv.URL, "senderAddress": "kopa@example.org", "senderName": "Kopā"},
		"smtp":       map[string]any{"enabled": true, "host": mp.SMTPHost(), "port": mp.SMTPPort()},
		"rateLimits": map[string]any{"enabled": false},
	}, 200, nil)
	start := time.Now().Add(24 * time.Hour).UTC()
	var ev struct{ ID string }
	srv.JSON(t, http.MethodPost, "/api/collections/events/records", srv.SuperToken, map[string]any{
		"kind": "discussion", "title_lv": "Eiropas bēgļu un patvēruma politika", "status": "published", "capacity": 0,
		"starts_at": start.Format("2006-01-02 15:04:05.000Z"), "ends_at": start.Add(2 * time.Hour).Format("2006-01-02 15:04:05.000Z"),
	}, 200, &ev)

	var mu sync.Mutex
	acked := map[string]string{} // e-mail -> ticket
	// The crash comes mid-burst: once this many registrations are
	// acknowledged, while the clients go on sending.
	const beforeCrash = 100
	enough := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("w%d-%d@example.com", w, i)
				st, body, err := srv.Do(http.MethodPost, "/api/events/"+ev.ID+"/register", "", map[string]any{"name": "Crash Test", "email": email})
				if err != nil {
					return // the server is gone
				}
				if st == 201 {
					var r struct{ Ticket string }
					_ = json.Unmarshal(body, &r)
					mu.Lock()
					acked[email] = r.Ticket
					if len(acked) == beforeCrash {
						close(enough)
					}
					mu.Unlock()
				}
			}
		}(w)
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Log("the burst was slow: crashing with fewer registrations acknowledged")
	}
	srv.Kill(t) // mid-burst
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no registration was acknowledged before the crash")
	}

	srv.Restart(t)
	for email, ticket := range acked {
		var list struct {
			Items []struct{ Ticket, Status string }
		}
		srv.JSON(t, http.MethodGet, "/api/collections/registrations/records?filter="+url.QueryEscape(fmt.Sprintf("email='%s'", email)), srv.SuperToken, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Ticket != ticket {
			t.Errorf("acknowledged registration of %s lost after the crash: %+v", email, list.Items)
		}
	}
	// The worker sends the queued tickets after the restart.
	deadline := time.Now().Add(60 * time.Second)
	for {
		missing := 0
		got := map[string]bool{}
		for _, m := range mp.Messages(t) {
			for _, to := range m.To {
				got[to.Address] = true
			}
		}
		for email := range acked {
			if !got[email] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged registrations got no ticket mail", missing, len(acked))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d registrations acknowledged before SIGKILL; all stored and mailed after the restart", len(acked))
}
