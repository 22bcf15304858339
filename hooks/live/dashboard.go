package live

import "github.com/pocketbase/pocketbase/core"

// bindDashboard binds the organisers' live dashboard page.
func bindDashboard(se *core.ServeEvent) {}
