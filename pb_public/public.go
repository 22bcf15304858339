// Package pb_public embeds the files Kopā serves under /static/: the
// stylesheet, the small scripts of the scanner and dashboard, images, and
// vendored third-party browser code (pinned, with its licence).
package pb_public

import "embed"

// FS holds css/, js/, img/ and vendor/.
//
//go:embed css js img vendor robots.txt
var FS embed.FS
