package series

import "github.com/pocketbase/pocketbase/core"

// registerConsole binds the console's series pages.
func registerConsole(app core.App) {}
