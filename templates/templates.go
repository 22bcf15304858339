// Package templates embeds Kopā's page layout, pages, e-mail templates and
// message catalogues, so the binary runs with nothing beside it.
package templates

import "embed"

// FS holds layout.html, partials/, pages/, mail/ and locales/.
//
//go:embed layout.html partials pages locales mail
var FS embed.FS
