package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/types"

	"kopa/internal/domain"
)

// Worker tuning.
const (
	// pollInterval is how often the worker looks for mail that became due
	// (a retry whose backoff ran out); new mail wakes it at once.
	pollInterval = 5 * time.Second
	// batchSize rows are read at a time, oldest due first.
	batchSize = 10
)

// Mail gives way to people. While mail is being queued in a burst (a
// registration every few milliseconds), the worker waits for a pause of
// quietFor before each mail, but no longer than maxYield: the requests
// of the burst are not slowed by drawing and sending its mails, which
// still go out, a few a second, and at full speed once the burst is over.
// At an ordinary pace (a registration now and then) the worker never
// waits. A mail sent a few seconds later harms nobody: the ticket is on
// the page the registration answered with.
const (
	quietFor = 50 * time.Millisecond
	maxYield = 200 * time.Millisecond
)

// queued notes that mail was just queued.
func (st *state) queued() { st.lastQueued.Store(time.Now().UnixNano()) }

// giveWay waits while mail is being queued, at most maxYield.
func (st *state) giveWay(ctx context.Context) {
	deadline := time.Now().Add(maxYield)
	for {
		wait := quietFor - time.Since(time.Unix(0, st.lastQueued.Load()))
		if wait <= 0 {
			return
		}
		if left := time.Until(deadline); left < wait {
			wait = left
		}
		if wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// state is the outbox of one app: its worker and the lock that makes one
// flush run at a time, so the worker and a test's Flush never send a row
// twice. Kopā is one process on one SQLite database, so a lock in memory
// is enough.
type state struct {
	flushMu sync.Mutex
	wake    chan struct{}
	// lastQueued is when mail was last queued (unix nanoseconds).
	lastQueued atomic.Int64
	// bulkPausedUntil holds bulk mail back until then, after bulkStrikes
	// refusals in a row (see pauseBulk); guarded by flushMu.
	bulkPausedUntil time.Time
	bulkStrikes     int

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

const storeKey = "kopa.outbox"

func stateOf(app core.App) *state {
	return app.Store().GetOrSet(storeKey, func() any {
		return &state{wake: make(chan struct{}, 1)}
	}).(*state)
}

// wake tells the worker to look now; it never blocks.
func wake(app core.App) {
	select {
	case stateOf(app).wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Register starts the worker when app serves, stops it when app
// terminates, and wakes it each time a mail row has been committed. It also
// routes PocketBase's own mails (verification, one-time codes) into the
// outbox.
// Calling it twice on one app is harmless.
func Register(app core.App) {
	routePocketBaseMail(app)
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Id: "kopaOutboxStart",
		Func: func(e *core.ServeEvent) error {
			start(e.App)
			return e.Next()
		},
	})
	app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		Id: "kopaOutboxStop",
		Func: func(e *core.TerminateEvent) error {
			// Stop before e.Next(): the database closes after it.
			stop(e.App)
			return e.Next()
		},
	})
	// After-success hooks of a record saved in a transaction run after
	// the commit, so the worker never looks before the row is visible.
	app.OnRecordAfterCreateSuccess(Collection).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "kopaOutboxWake",
		Func: func(e *core.RecordEvent) error {
			wake(e.App)
			return e.Next()
		},
	})
}

func start(app core.App) {
	st := stateOf(app)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cancel != nil {
		return // already running
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel, st.done = cancel, make(chan struct{})
	go st.run(ctx, app, st.done)
}

// stop ends the worker and waits for it; a send in progress is cut off and
// its row stays due, to be sent after the next start.
func stop(app core.App) {
	st := stateOf(app)
	st.mu.Lock()
	cancel, done := st.cancel, st.done
	st.cancel, st.done = nil, nil
	st.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// running reports whether the worker of app is started.
func running(app core.App) bool {
	st := stateOf(app)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cancel != nil
}

func (st *state) run(ctx context.Context, app core.App, done chan struct{}) {
	defer close(done)
	log := app.Logger().With(slog.String("component", "outbox"))
	// The first round runs at once: mail queued while Kopā was down is due.
	timer := time.NewTimer(0)
	defer timer.Stop()
	warned, off := false, false
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.wake:
			if off {
				// SMTP is not set up: new mail waits with the rest, and
				// the next regular look will see whether it is now.
				continue
			}
		case <-timer.C:
		}
		_, err := flush(ctx, app, true)
		off = errors.Is(err, ErrNotConfigured)
		switch {
		case errors.Is(err, ErrNotConfigured):
			if !warned {
				log.Warn("mail waits until SMTP is set up in the settings", slog.Any("error", err))
				warned = true
			}
		case err != nil && ctx.Err() == nil:
			log.Error("outbox round failed", slog.Any("error", err))
		default:
			warned = false
		}
		timer.Reset(pollInterval)
	}
}

// Flush sends every mail that is due now, synchronously, and returns how
// many were sent. It returns ErrNotConfigured while SMTP is off and mail
// is waiting, and an error naming the last failure when some mail could
// not be sent (those rows are retried later or, if refused for good,
// marked failed). The worker calls the same code; call Flush with the
// app, never a transaction's app.
func Flush(app core.App) (sent int, err error) {
	res, err := flush(context.Background(), app, false)
	if err == nil && res.notSent > 0 {
		err = fmt.Errorf("outbox: %d mail(s) not sent: %w", res.notSent, res.lastErr)
	}
	return res.sent, err
}

type flushResult struct {
	sent, notSent int
	lastErr       error
}

// flush works through the due rows in batches over one SMTP connection.
// Its error is for what stops the whole outbox (settings, database);
// failures of single mails are recorded on their rows.
//
// The worker flushes with giveWay set: see state.giveWay.
func flush(ctx context.Context, app core.App, giveWay bool) (res flushResult, err error) {
	st := stateOf(app)
	st.flushMu.Lock()
	defer st.flushMu.Unlock()

	settings := app.Settings()
	cfg, meta := settings.SMTP, settings.Meta
	if !cfg.Enabled {
		// Only worth saying when some mail is actually waiting.
		var one int
		err := app.DB().NewQuery("SELECT 1 FROM {{" + Collection + "}} WHERE [[status]] = {:pending} LIMIT 1").
			Bind(dbx.Params{"pending": StatusPending}).Row(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return res, nil
		case err != nil:
			return res, fmt.Errorf("look for queued mail: %w", err)
		}
		return res, ErrNotConfigured
	}
	from := mail.Address{Name: meta.SenderName, Address: meta.SenderAddress}
	if a, err := mail.ParseAddress(from.Address); err != nil || a.Address != from.Address {
		return res, fmt.Errorf("%w (the sender address is not valid)", ErrNotConfigured)
	}
	log := app.Logger().With(slog.String("component", "outbox"))

	var sess *session
	defer func() {
		if sess != nil {
			sess.quit()
		}
	}()
	for ctx.Err() == nil {
		rows, err := due(app, batchSize, time.Now().After(st.bulkPausedUntil))
		if err != nil {
			return res, err
		}
		if len(rows) == 0 {
			return res, nil
		}
		for i, row := range rows {
			if giveWay {
				st.giveWay(ctx)
			}
			if ctx.Err() != nil {
				return res, nil // rows not tried stay due
			}
			msg, err := Content(app, row)
			if errors.Is(err, ErrObsolete) {
				if err := markSkipped(app, row); err != nil {
					return res, err
				}
				log.Debug("mail skipped, no longer true", slog.String("id", row.Id), slog.String("kind", row.GetString("kind")))
				continue
			}
			if err != nil {
				if err := markFailure(app, log, row, &sendErr{err: fmt.Errorf("write the mail: %w", err), permanent: permanent(err)}); err != nil {
					return res, err
				}
				res.notSent++
				res.lastErr = err
				continue
			}
			raw, err := compose(msg, row.Id, from, time.Now())
			if err != nil {
				// A row written by hand, or a renderer's mail, that fails
				// Message.Validate: it will not get better by waiting.
				if err := markFailure(app, log, row, &sendErr{err: fmt.Errorf("invalid message: %w", err), permanent: true}); err != nil {
					return res, err
				}
				res.notSent++
				res.lastErr = err
				continue
			}
			if sess == nil {
				if sess, err = dialSMTP(ctx, cfg); err != nil {
					if ctx.Err() != nil {
						return res, nil
					}
					// The server cannot be reached: the rest of this batch
					// waits; later batches get their turn in later rounds.
					// One log line, not one per mail, for an outage.
					log.Warn("SMTP server unreachable, mail waits", slog.Int("mails", len(rows)-i), slog.Any("error", err))
					for _, r := range rows[i:] {
						if err := markFailure(app, nil, r, &sendErr{err: err, session: true}); err != nil {
							return res, err
						}
					}
					res.notSent += len(rows) - i
					res.lastErr = err
					return res, nil
				}
			}
			serr := sess.send(from.Address, row.GetString("to"), raw)
			if serr == nil {
				// The server has the mail. Should this update be lost (a
				// crash right now), the row stays due and the mail goes
				// out again: at least once, never lost.
				if err := markSent(app, row, msg.Subject); err != nil {
					return res, err
				}
				res.sent++
				if row.GetBool("bulk") {
					st.bulkStrikes = 0
				}
				log.Debug("mail sent", slog.String("id", row.Id), slog.String("kind", row.GetString("kind")), slog.String("to", mask(row.GetString("to"))))
				continue
			}
			if ctx.Err() != nil {
				// Cut off by shutdown: whether the server took the mail is
				// unknown, so the row stays due.
				return res, nil
			}
			if serr.session || !sess.reset() {
				sess.close()
				sess = nil
			}
			if err := markFailure(app, log, row, serr); err != nil {
				return res, err
			}
			res.notSent++
			res.lastErr = serr
			if row.GetBool("bulk") && !serr.permanent {
				// The server wants less: the rest of the bulk mail waits
				// (see pauseBulk); other mail goes on in the next batch.
				st.pauseBulk(log)
				break
			}
		}
	}
	return res, nil
}

// due reads up to n pending rows whose time has come, oldest first. Bulk
// mail (a bulletin's) comes only when no other mail is due (and bulk is
// set: it is not paused), and a few rows at a time: a ticket queued while
// a bulletin goes out waits for at most bulkBatch mails, not for the rest
// of the bulletin.
func due(app core.App, n int, bulk bool) ([]*core.Record, error) {
	rows, err := dueOf(app, false, n)
	if err != nil || len(rows) > 0 || !bulk {
		return rows, err
	}
	return dueOf(app, true, min(n, bulkBatch))
}

// pauseBulk holds bulk mail back after the server refused one for now (a
// 4xx such as "421 too many messages, slow down", or a dropped
// connection): bulk mail then goes at the pace the server accepts. The
// pause starts at baseBackoff and doubles with each refusal in a row, up
// to maxBackoff; a bulk mail accepted ends the run. Only flush calls it,
// under flushMu.
func (st *state) pauseBulk(log *slog.Logger) {
	st.bulkStrikes++
	d := backoff(st.bulkStrikes, func(d time.Duration) time.Duration { return rand.N(d) })
	st.bulkPausedUntil = time.Now().Add(d)
	log.Warn("the SMTP server refused a bulk mail for now; bulk mail waits", slog.Duration("for", d), slog.Int("refusals_in_a_row", st.bulkStrikes))
}

// bulkBatch is how many bulk mails are read at a time.
const bulkBatch = 5

func dueOf(app core.App, bulk bool, n int) ([]*core.Record, error) {
	var rows []*core.Record
	err := app.RecordQuery(Collection).
		AndWhere(dbx.HashExp{"status": StatusPending, "bulk": bulk}).
		AndWhere(dbx.NewExp("[[next_attempt_at]] <= {:now}", dbx.Params{"now": types.NowDateTime().String()})).
		OrderBy("next_attempt_at ASC").
		Limit(int64(n)).
		All(&rows)
	if err != nil {
		return nil, fmt.Errorf("read due mail: %w", err)
	}
	return rows, nil
}

// The worker's own bookkeeping is written with plain SQL rather than
// app.Save: it is not a change anyone hooks into, and record hooks firing
// in the background would muddle other features' hook expectations.

// markSent records that the server accepted the mail, and the subject it
// went out with (a mail written when sent had none until now).
func markSent(app core.App, row *core.Record, subject string) error {
	now := types.NowDateTime().String()
	_, err := app.DB().Update(Collection, dbx.Params{
		"status":     StatusSent,
		"subject":    truncate(subject, maxSubject),
		"sent_at":    now,
		"attempts":   row.GetInt("attempts") + 1,
		"last_error": "",
		"updated":    now,
	}, dbx.HashExp{"id": row.Id}).Execute()
	if err != nil {
		return fmt.Errorf("mark mail %s sent: %w", row.Id, err)
	}
	return nil
}

// markSkipped ends a mail whose news was no longer true when it was due.
func markSkipped(app core.App, row *core.Record) error {
	now := types.NowDateTime().String()
	_, err := app.DB().Update(Collection, dbx.Params{
		"status":     StatusSkipped,
		"last_error": "",
		"updated":    now,
	}, dbx.HashExp{"id": row.Id}).Execute()
	if err != nil {
		return fmt.Errorf("mark mail %s skipped: %w", row.Id, err)
	}
	return nil
}

// markFailure records a failed attempt and schedules the next one, or
// gives up on the mail; it logs the failure unless log is nil.
func markFailure(app core.App, log *slog.Logger, row *core.Record, serr *sendErr) error {
	attempts := row.GetInt("attempts") + 1
	to := row.GetString("to")
	status := StatusPending
	now := time.Now().UTC()
	next := now.Add(backoff(attempts, func(d time.Duration) time.Duration { return rand.N(d) }))
	if serr.permanent || (!serr.session && attempts >= maxAttempts) {
		status = StatusFailed
	}
	_, err := app.DB().Update(Collection, dbx.Params{
		"status":          status,
		"attempts":        attempts,
		"last_error":      truncate(serr.Error(), 1000),
		"next_attempt_at": domain.DateTime(next).String(),
		"updated":         domain.DateTime(now).String(),
	}, dbx.HashExp{"id": row.Id}).Execute()
	if err != nil {
		return fmt.Errorf("record failure of mail %s: %w", row.Id, err)
	}
	if log == nil {
		return nil
	}
	attrs := []any{
		slog.String("id", row.Id), slog.String("kind", row.GetString("kind")), slog.String("to", mask(to)),
		slog.Int("attempts", attempts),
		// Server replies often quote the recipient's address.
		slog.String("error", strings.ReplaceAll(serr.Error(), to, mask(to))),
	}
	if status == StatusFailed {
		log.Error("mail failed for good", attrs...)
	} else {
		log.Warn("mail not sent, will retry", append(attrs, slog.Time("next_attempt_at", next))...)
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
