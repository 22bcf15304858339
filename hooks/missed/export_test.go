package missed

// RenderPaused writes the paused mail of standing place ref, as the outbox
// does when it sends it.
var RenderPaused = renderPaused
