// Package browser runs Kopā's page tests in a real headless Chromium
// (through chromedp), one shared by the tests of a package, and checks pages
// with axe-core.
package browser

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"kopa/internal/testrun"
	"kopa/internal/ticketfile"
)

//go:embed testdata/axe-core/axe.min.js
var axeSource string

// Path finds the Chromium binary: $KOPA_CHROMIUM, then the Debian package's.
func Path() (string, error) {
	if p := os.Getenv("KOPA_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found: run `make test` (it installs the Debian packages chromium and chromium-driver) or set KOPA_CHROMIUM")
}

// New gives the test a tab of its own until it ends, in a browser context
// of its own, with none of the cookies, storage, service workers or
// DevTools overrides of other tests: a tab that an earlier test of the
// process used is emptied first (see pool.go). The tab is in the Chromium
// that the tests of this process share (see testrun): headless, with an
// empty profile, no network but loopback, and a fake camera (see Camera).
// extra flags (a window size, say) start a Chromium for this test alone
// instead, with a new tab.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if len(extra) > 0 {
		ctx, end, err := start(t.Logf, extra...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(end)
		return tab(t, ctx)
	}
	return pooled(t, shared(t))
}

// Camera opens a tab as New does and shows the image (a ticket's QR code,
// say) to Chromium's fake camera (its capture device playing a video file),
// centred on white, until the test ends or calls CameraOff. The capture
// device is the browser's, not the tab's: every page that films at once
// gets its frames, and the file is read again only when the device opens
// after all have stopped. So a process has one Chromium with that camera
// (the first it starts), and it shows one test's image at a time: further
// tests wait in Camera until it is given back. Tests whose subject is
// reading a code through a camera use it; others use TabCamera.
func Camera(t testing.TB, pngData []byte) context.Context {
	t.Helper()
	img := decodeImage(t, pngData)
	takeCamera(t, device)
	bind := hold(t, device)
	b := sharedN(t, 0)
	if err := b.show(img); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, b.browser)
	bind(ctx)
	return ctx
}

// TabCamera opens a tab as New does, in the Chromium New uses, whose pages
// film the image with a camera of the tab's own: getUserMedia answers with
// a canvas's stream that shows the frame Camera's fake camera would show,
// five times a second, and the page reads it through its video element and
// decoder as it reads a camera. It starts no Chromium and films beside any
// other tab; what it leaves out is the browser's capture device, so tests
// whose subject is the network or the door's rules (a line that hangs, a
// scan queued offline) use it and tests of reading a code use Camera.
func TabCamera(t testing.TB, pngData []byte) context.Context {
	t.Helper()
	return tabCamera(t, pngData, tabbed)
}

// TabCameraAlone is TabCamera for a test that measures how long the page
// takes to answer what its camera sees: it waits until no other camera test
// of the process is filming, and none starts until it calls CameraOff or
// ends, so that no second page decoding frames competes with it for the
// cores.
func TabCameraAlone(t testing.TB, pngData []byte) context.Context {
	t.Helper()
	return tabCamera(t, pngData, alone)
}

func tabCamera(t testing.TB, pngData []byte, kind cameraKind) context.Context {
	t.Helper()
	var frame bytes.Buffer
	if err := png.Encode(&frame, cameraFrame(decodeImage(t, pngData))); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(tabCameraScript, base64.StdEncoding.EncodeToString(frame.Bytes()), cameraW, cameraH, cameraFPS)
	takeCamera(t, kind)
	bind := hold(t, kind)
	ctx := New(t)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
	if err != nil {
		t.Fatalf("the tab's camera: %v", err)
	}
	bind(ctx)
	return ctx
}

// tabCameraScript gives a page's getUserMedia a camera that films a PNG
// (its arguments: the PNG in base64, its width and height, the frames a
// second): a canvas drawn with it each frame until its track stops.
const tabCameraScript = `(function () {
  var md = navigator.mediaDevices;
  if (!md) return;
  md.getUserMedia = function (c) {
    if (!c || !c.video || c.audio) return Promise.reject(new DOMException("only a video camera here", "NotFoundError"));
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onerror = function () { reject(new DOMException("no picture", "NotReadableError")); };
      img.onload = function () {
        var canvas = document.createElement("canvas");
        canvas.width = %[2]d; canvas.height = %[3]d;
        var g = canvas.getContext("2d"), stream = canvas.captureStream(%[4]d), track = stream.getVideoTracks()[0];
        g.drawImage(img, 0, 0);
        var timer = setInterval(function () {
          if (track.readyState === "ended") { clearInterval(timer); return; }
          g.drawImage(img, 0, 0);
        }, 1000 / %[4]d);
        resolve(stream);
      };
      img.src = "data:image/png;base64,%[1]s";
    });
  };
})();`

// CameraOff stops the camera of the page open in ctx (a tab of Camera or
// TabCamera) and gives the camera back before the test ends, for a test
// whose remaining steps need no camera.
func CameraOff(t testing.TB, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		document.querySelectorAll("video").forEach(function (v) {
			if (v.srcObject) v.srcObject.getTracks().forEach(function (tr) { tr.stop(); });
		});
		return true;
	})()`))
	if err != nil {
		t.Fatalf("stop the camera: %v", err)
	}
	cameraMu.Lock()
	release := heldBy[ctx]
	cameraMu.Unlock()
	if release != nil {
		release()
	}
}

func decodeImage(t testing.TB, pngData []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("fake camera image: %v", err)
	}
	return img
}

// cameraKind is what a camera test takes: the Chromium's capture device,
// a camera of its tab's own, or a camera of its tab's own with no other
// camera filming.
type cameraKind int

const (
	device cameraKind = iota
	tabbed
	alone
)

// The cameras' state, guarded by cameraMu.
var (
	cameraMu   sync.Mutex
	cameraFree = sync.NewCond(&cameraMu)
	filming    int  // cameras in use
	deviceBusy bool // a test's image is in the capture device's file
	aloneWaits int  // tests waiting in TabCameraAlone
	aloneFilms bool // a test of TabCameraAlone holds the cameras
	// heldBy gives back the camera of a tab, for CameraOff.
	heldBy = map[context.Context]func(){}
)

// takeCamera waits until a camera of the kind is free and takes it. Tests
// alone go before the others that wait.
func takeCamera(t testing.TB, kind cameraKind) {
	t.Helper()
	cameraMu.Lock()
	defer cameraMu.Unlock()
	if kind == alone {
		aloneWaits++
		defer func() {
			aloneWaits--
			cameraFree.Broadcast()
		}()
	}
	for {
		free := !aloneFilms
		switch kind {
		case alone:
			free = free && filming == 0
		case device:
			free = free && aloneWaits == 0 && !deviceBusy
		default:
			free = free && aloneWaits == 0
		}
		if free {
			filming++
			deviceBusy = deviceBusy || kind == device
			aloneFilms = aloneFilms || kind == alone
			return
		}
		cameraFree.Wait()
	}
}

// hold gives the camera taken back when the test ends (registered before
// the test's tab is opened, it runs after the tab has closed and stopped
// filming) or at CameraOff of the tab it binds, whichever comes first.
func hold(t testing.TB, kind cameraKind) (bind func(tab context.Context)) {
	var (
		once  sync.Once
		bound context.Context
	)
	release := func() { once.Do(func() { giveBack(kind) }) }
	t.Cleanup(func() {
		cameraMu.Lock()
		delete(heldBy, bound)
		cameraMu.Unlock()
		release()
	})
	return func(tab context.Context) {
		cameraMu.Lock()
		bound = tab
		heldBy[tab] = release
		cameraMu.Unlock()
	}
}

func giveBack(kind cameraKind) {
	cameraMu.Lock()
	filming--
	switch kind {
	case device:
		deviceBusy = false
	case alone:
		aloneFilms = false
	}
	cameraMu.Unlock()
	cameraFree.Broadcast()
}

// chromium is a running Chromium whose fake camera plays the file camera.
type chromium struct {
	browser context.Context // its first tab
	end     func()
	camera  string
}

// SharedEnv names the environment variable that gives the test processes
// the DevTools address of a Chromium they all share (see StartShared):
// make test starts one for the whole run, so that each package's tests do
// not start one of their own. Without it, the tests of a process share the
// process's first Chromium. Cameras are never shared: each process films
// with Chromiums of its own.
const SharedEnv = "KOPA_CHROMIUM_WS"

// shared returns the Chromium that New opens its tabs in: the test run's
// (SharedEnv) when it answers, else the process's first.
func shared(t testing.TB) context.Context {
	t.Helper()
	if ws := os.Getenv(SharedEnv); ws != "" {
		b, err := testrun.Share(t, "browser.run", func() (context.Context, func(), error) { return attach(ws) })
		if err == nil {
			return b
		}
		t.Logf("the test run's Chromium at %s: %v; this process starts its own", ws, err)
	}
	return sharedN(t, 0).browser
}

// attach connects to the running Chromium at the DevTools address ws. The
// function it returns disconnects, leaving the browser running.
func attach(ws string) (context.Context, func(), error) {
	allocCtx, cancelAlloc := remote.NewAllocator(context.Background(), ws, remote.NoModifyURL)
	ctx, cancel := chromedp.NewContext(allocCtx)
	end := func() {
		cancel()
		cancelAlloc()
	}
	// Connects without opening a tab.
	if _, err := chromedp.Targets(ctx); err != nil {
		end()
		return nil, nil, err
	}
	return ctx, end, nil
}

// StartShared starts a headless Chromium as New's shared one is started,
// listening for DevTools on a loopback port, and returns its address for
// SharedEnv and the function that ends it.
func StartShared() (ws string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "kopa-chromium-")
	if err != nil {
		return "", nil, err
	}
	_, end, err := start(nil, chromedp.UserDataDir(dir), chromedp.Flag("remote-debugging-port", "0"), remote.WebSocket)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	stop = func() { end(); _ = os.RemoveAll(dir) }
	// Chromium writes the port and the browser's path once it listens.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, rerr := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		if port, path, ok := strings.Cut(strings.TrimSpace(string(data)), "\n"); rerr == nil && ok {
			return "ws://127.0.0.1:" + strings.TrimSpace(port) + strings.TrimSpace(path), stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("Chromium wrote no DevTools address in %s", dir)
		}
	}
}

// sharedN returns the process's i-th Chromium (from 0), starting it if
// need be.
func sharedN(t testing.TB, i int) *chromium {
	t.Helper()
	b, err := testrun.Share(t, fmt.Sprintf("browser.%d", i), startShared)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func startShared() (*chromium, func(), error) {
	dir, err := os.MkdirTemp("", "kopa-camera-")
	if err != nil {
		return nil, nil, err
	}
	b := &chromium{camera: filepath.Join(dir, "camera.y4m")}
	if err = b.show(nil); err == nil {
		b.browser, b.end, err = start(nil,
			chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-fake-ui-for-media-stream", true), // camera permission granted
			chromedp.Flag("use-file-for-fake-video-capture", b.camera),
		)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return b, func() { b.end(); _ = os.RemoveAll(dir) }, nil
}

// show puts img (nil: nothing) in front of the camera. Chromium reads the
// video file each time a page starts the camera; a rename replaces it
// whole.
func (b *chromium) show(img image.Image) error {
	tmp := b.camera + ".new"
	if err := os.WriteFile(tmp, fakeVideo(img), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, b.camera)
}

// start starts a headless Chromium and returns its first tab's context
// (the browser lives as long as it) and the function that ends it. logf,
// when not nil, gets the browser's log.
func start(logf func(string, ...any), extra ...chromedp.ExecAllocatorOption) (context.Context, func(), error) {
	bin, err := Path()
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// What a test browser does not need: a renderer process per site
		// and a spare one kept warm, translation, extensions, and timers
		// slowed down in tabs the browser thinks are in the background.
		// Nor the address bar's popups, drawn in renderer processes of
		// their own (two for each window, so for each browser context),
		// nor the back-forward cache and the new browsing instance or
		// document that a navigation otherwise gets: they halve what a
		// new tab costs Chromium and cut a navigation's cost by a quarter.
		chromedp.Flag("disable-features", "site-per-process,IsolateOrigins,SpareRendererForSitePerProcess,Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,"+
			"WebUIOmniboxPopup,WebUIOmniboxAimPopup,BackForwardCache,ProactivelySwapBrowsingInstance,RenderDocument"),
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-ipc-flooding-protection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(390, 844),
	}
	// Without a user data folder of ours, chromedp makes an empty one and
	// removes it when the browser ends.
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var ctxOpts []chromedp.ContextOption
	if logf != nil {
		ctxOpts = append(ctxOpts, chromedp.WithLogf(logf))
	}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, ctxOpts...)
	end := func() {
		cancelCtx()
		cancelAlloc()
	}
	// The first action starts the browser and ties it to ctx, so it runs
	// without a time limit.
	if err := chromedp.Do(ctx); err != nil {
		end()
		return nil, nil, fmt.Errorf("start Chromium: %w", err)
	}
	return ctx, end, nil
}

// tab opens a tab in a new browser context of the browser, closed when the
// test ends; its actions must be done within three minutes.
func tab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, closeTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		closeTab()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// Violation is one axe-core finding.
type Violation struct {
	ID          string `json:"id"`
	Impact      string `json:"impact"`
	Description string `json:"description"`
	Help        string `json:"help"`
	Nodes       []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page open in ctx and returns its violations.
// axe-core's source (half a megabyte for the page to compile) goes into a
// document once: a second check of the same document runs it again.
func Axe(ctx context.Context) ([]Violation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object" && typeof window.axe.run === "function"`))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+"\n;true")); err != nil {
			return nil, fmt.Errorf("axe: load axe-core: %w", err)
		}
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return JSON.stringify(r.violations);
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	var v []Violation
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, fmt.Errorf("axe result: %w", err)
	}
	return v, nil
}

// AssertAccessible fails the test on any serious or critical axe-core
// violation of the page open in ctx.
func AssertAccessible(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	vs, err := Axe(ctx)
	if err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, n.HTML)
			}
			t.Errorf("%s: axe %s (%s): %s %v", page, v.ID, v.Impact, v.Help, where)
		} else {
			t.Logf("%s: axe %s (%s): %s", page, v.ID, v.Impact, v.Help)
		}
	}
}

// Scripts switches the page's JavaScript off (to prove a page works
// without it) or back on (axe-core needs it).
func Scripts(enabled bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !enabled})
		return err
	})
}

// The fake camera's video: small and slow, since every frame it shows is
// decoded by the page (jsQR, on a core of this machine) while a camera
// test runs. A ticket's code fits it at five pixels a module, enough for
// the page's decoder, in a third of the pixels the page decodes of a
// phone's frame.
const (
	cameraW, cameraH = 320, 240
	cameraFPS        = 5
)

// cameraFrame is what the fake cameras film: img (nil: nothing) centred on
// white in a grey frame. An image too large for the frame is shrunk to
// fit; a QR code drawn at ticketfile.ModulePixels a module keeps every
// module the same whole number of pixels.
func cameraFrame(img image.Image) *image.Gray {
	const w, h = cameraW, cameraH
	frame := image.NewGray(image.Rect(0, 0, w, h))
	for i := range frame.Pix {
		frame.Pix[i] = 255
	}
	if img == nil {
		return frame
	}
	b := img.Bounds()
	// The picture's size dw×dh and its pixel at (px, py).
	dw, dh := b.Dx(), b.Dy()
	at := func(px, py int) (int, int) { return b.Min.X + px, b.Min.Y + py }
	if side := max(dw, dh); side > h-16 {
		// Modules of num pixels instead of den.
		num, den := (h-16)/(side/ticketfile.ModulePixels), ticketfile.ModulePixels
		if dw%den != 0 || dh%den != 0 || num < 2 {
			num, den = h-16, side // not a QR code of ours: just make it fit
		}
		dw, dh = dw*num/den, dh*num/den
		at = func(px, py int) (int, int) { return b.Min.X + px*den/num, b.Min.Y + py*den/num }
	}
	ox, oy := (w-dw)/2, (h-dh)/2
	for py := 0; py < dh && oy+py < h; py++ {
		for px := 0; px < dw && ox+px < w; px++ {
			r, g, bl, _ := img.At(at(px, py)).RGBA()
			frame.Pix[(oy+py)*w+ox+px] = byte((299*r + 587*g + 114*bl) / 1000 >> 8)
		}
	}
	return frame
}

// fakeVideo is a short YUV4MPEG2 video of cameraFrame(img), for Chromium's
// fake camera.
func fakeVideo(img image.Image) []byte {
	frame := cameraFrame(img)
	y := make([]byte, len(frame.Pix))
	for i, lum := range frame.Pix {
		y[i] = byte(16 + int(lum)*219/255) // video range: white is 235
	}
	chroma := bytes.Repeat([]byte{128}, (cameraW/2)*(cameraH/2))
	var out bytes.Buffer
	fmt.Fprintf(&out, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", cameraW, cameraH, cameraFPS)
	for f := 0; f < cameraFPS; f++ {
		out.WriteString("FRAME\n")
		out.Write(y)
		out.Write(chroma)
		out.Write(chroma)
	}
	return out.Bytes()
}

// Login signs in through the /manage/login form.
func Login(ctx context.Context, base, email, password string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/manage/login"),
		WaitVisible("#email"),
		chromedp.SendKeys("#email", email),
		chromedp.SendKeys("#password", password),
		chromedp.Click(`form button[type=submit]`),
		WaitNotPresent("#password"),
	)
}

// lookEvery is how often the waits below look at the page again.
// chromedp's queries look every 5 ms, and each look is a search of the
// page's DOM: a wait of a second costs Chromium a quarter of a second of a
// core. Every 20 ms costs a fraction of that and is as quick for a test.
const lookEvery = 20 * time.Millisecond

// WaitVisible is chromedp.WaitVisible looking every 20 ms.
func WaitVisible(sel string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(sel, append([]chromedp.QueryOption{chromedp.RetryInterval(lookEvery)}, opts...)...)
}

// WaitNotVisible is chromedp.WaitNotVisible looking every 20 ms.
func WaitNotVisible(sel string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.WaitNotVisible(sel, append([]chromedp.QueryOption{chromedp.RetryInterval(lookEvery)}, opts...)...)
}

// WaitReady is chromedp.WaitReady looking every 20 ms.
func WaitReady(sel string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(sel, append([]chromedp.QueryOption{chromedp.RetryInterval(lookEvery)}, opts...)...)
}

// WaitNotPresent is chromedp.WaitNotPresent looking every 20 ms.
func WaitNotPresent(sel string, opts ...chromedp.QueryOption) chromedp.Action[chromedp.Void] {
	return chromedp.WaitNotPresent(sel, append([]chromedp.QueryOption{chromedp.RetryInterval(lookEvery)}, opts...)...)
}

// Offline cuts the tab's network (requests fail, navigator.onLine is false)
// or restores it.
func Offline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		conds := []*network.Conditions{}
		if offline {
			conds = append(conds, &network.Conditions{Offline: true, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// Within runs steps with a time limit of their own, so a stuck step fails
// the test quickly and says which it was.
func Within(ctx context.Context, limit time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	c, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return chromedp.Do(c, steps...)
}
