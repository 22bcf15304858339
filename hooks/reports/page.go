package reports

import "github.com/pocketbase/pocketbase/core"

func bindPage(se *core.ServeEvent) {}
