package live_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kopa/internal/binarytest"
)

// TestRestartWithACrowdConnected restarts the real binary (SIGTERM, then a
// fresh start) while forty dashboards are connected: each is told the
// server is going away (1001), reconnects, and the new snapshot counts
// every registration acknowledged before the restart. The forty belong to
// two organisers: one account holds at most 20 sockets.
func TestRestartWithACrowdConnected(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and restarts the real binary")
	}
	srv := binarytest.Start(t)
	srv.JSON(t, http.MethodPatch, "/api/settings", srv.SuperToken, map[string]any{
		"meta": map[string]any{"appURL": srv.URL}, "rateLimits": map[string]any{"enabled": false},
	}, 200, nil)
	start := time.Now().Add(24 * time.Hour).UTC()
	var ev struct{ ID string }
	srv.JSON(t, http.MethodPost, "/api/collections/events/records", srv.SuperToken, map[string]any{
		"kind": "club", "title_lv": "Sarunu klubs", "status": "published", "capacity": 0,
		"starts_at": start.Format("2006-01-02 15:04:05.000Z"), "ends_at": start.Add(time.Hour).Format("2006-01-02 15:04:05.000Z"),
	}, 200, &ev)
	tokens := make([]string, 2)
	for i := range tokens {
		email := fmt.Sprintf("org%d@example.org", i)
		srv.JSON(t, http.MethodPost, "/api/collections/organisers/records", srv.SuperToken, map[string]any{
			"email": email, "name": "Org", "password": "org-password-123", "passwordConfirm": "org-password-123", "verified": true,
		}, 200, nil)
		var auth struct{ Token string }
		srv.JSON(t, http.MethodPost, "/api/collections/organisers/auth-with-password", "", map[string]any{"identity": email, "password": "org-password-123"}, 200, &auth)
		tokens[i] = auth.Token
	}

	wsURL := strings.Replace(srv.URL, "http://", "ws://", 1) + "/api/live?event=" + ev.ID
	connect := func(i int) (*websocket.Conn, map[string]any, error) {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			return nil, nil, err
		}
		if err := c.WriteJSON(map[string]string{"type": "auth", "token": tokens[i%len(tokens)]}); err != nil {
			return nil, nil, err
		}
		var snap map[string]any
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		err = c.ReadJSON(&snap)
		return c, snap, err
	}

	const crowd = 40
	conns := make([]*websocket.Conn, crowd)
	for i := range conns {
		c, snap, err := connect(i)
		if err != nil || snap["type"] != "snapshot" {
			t.Fatalf("dashboard %d: %v %v", i, snap, err)
		}
		conns[i] = c
	}
	const registered = 25
	for i := 0; i < registered; i++ {
		srv.JSON(t, http.MethodPost, "/api/events/"+ev.ID+"/register", "", map[string]any{"name": fmt.Sprintf("P%d", i), "email": fmt.Sprintf("p%d@example.com", i)}, 201, nil)
	}

	// Every dashboard is told the server goes away.
	var wg sync.WaitGroup
	codes := make([]int, crowd)
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c *websocket.Conn) {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					if ce, ok := err.(*websocket.CloseError); ok {
						codes[i] = ce.Code
					}
					return
				}
			}
		}(i, c)
	}
	srv.Stop(t)
	wg.Wait()
	for i, code := range codes {
		if code != websocket.CloseGoingAway {
			t.Errorf("dashboard %d closed with %d, want 1001", i, code)
		}
	}

	srv.Restart(t)
	for i := 0; i < crowd; i++ {
		c, snap, err := connect(i)
		if err != nil {
			t.Fatalf("reconnect %d: %v", i, err)
		}
		stats, _ := snap["stats"].(map[string]any)
		if got, _ := stats["confirmed"].(float64); int(got) != registered {
			t.Fatalf("after the restart the snapshot counts %v confirmed, want %d", stats["confirmed"], registered)
		}
		c.Close()
	}
}
