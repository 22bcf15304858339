package checkin

import "github.com/pocketbase/pocketbase/core"

// bindScanner binds the scanner page (next commit).
func bindScanner(se *core.ServeEvent) {}
