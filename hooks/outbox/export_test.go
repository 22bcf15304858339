package outbox

import (
	"crypto/x509"

	"github.com/pocketbase/pocketbase/core"
)

// Running reports whether the worker of app is started.
func Running(app core.App) bool { return running(app) }

// TrustRoots makes the SMTP client trust pool (a test's own CA).
func TrustRoots(pool *x509.CertPool) { rootCAs = pool }

// PollInterval is how often the worker looks for mail without a wake-up.
const PollInterval = pollInterval

// MaxAttempts is the retry limit for refused mails.
const MaxAttempts = maxAttempts
