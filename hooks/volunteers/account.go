package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/spf13/cast"

	"kopa/hooks/web"
	"kopa/internal/contact"
	"kopa/internal/domain"
)

// Password limits: PocketBase's minimum, and bcrypt's 72-byte input.
const (
	minPassword = 8
	maxPassword = 71
)

// errBadToken is any verification token that does not confirm a volunteer.
var errBadToken = errors.New("invalid or expired verification token")

// verifiedVolunteer checks a verification token as PocketBase's
// confirm-verification endpoint does: signed for a volunteer, unexpired,
// and for the address the volunteer still has.
func verifiedVolunteer(app core.App, token string) (*core.Record, error) {
	if token == "" || len(token) > 4096 {
		return nil, errBadToken
	}
	claims, _ := security.ParseUnverifiedJWT(token)
	email := cast.ToString(claims["email"])
	if email == "" {
		return nil, errBadToken
	}
	rec, err := app.FindAuthRecordByToken(token, core.TokenTypeVerification)
	if err != nil || !domain.IsVolunteer(rec) || rec.Email() != email {
		return nil, errBadToken
	}
	return rec, nil
}

// ConfirmData is what the confirmation page receives.
type ConfirmData struct {
	Token, Name, Email string
	// Known is a volunteer whose address is confirmed already, who came
	// by the sign-in link of the "already signed up" mail: the page signs
	// them in, with a new password or without changing it.
	Known bool
	Error string // message id
}

// T is the message id of part of the page: the sign-in wording for a
// known volunteer, the confirmation's otherwise.
func (d ConfirmData) T(part string) string {
	if d.Known {
		return "volunteer.signin." + part
	}
	return "volunteer.confirm." + part
}

func showConfirm(e *core.RequestEvent, status int, d ConfirmData) error {
	p := web.NewPage(e, d.T("title"), d)
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, status, "volunteer/confirm", p)
}

func badLink(e *core.RequestEvent) error {
	return showNotice(e, http.StatusBadRequest, "volunteer.confirm.invalid_title", "volunteer.confirm.invalid_text",
		"/volunteer/login-code", "volunteer.code.title")
}

// confirmPage shows the form that confirms the address; opening the link
// changes nothing (mail scanners open links too).
func confirmPage(e *core.RequestEvent) error {
	token := e.Request.URL.Query().Get("token")
	rec, err := verifiedVolunteer(e.App, token)
	if err != nil {
		return badLink(e)
	}
	return showConfirm(e, http.StatusOK, ConfirmData{Token: token, Name: rec.GetString("name"), Email: rec.Email(), Known: rec.Verified()})
}

// confirmSubmit confirms the address, sets the chosen password (or keeps
// the random one for a volunteer who logs in by code) and signs in. The key
// behind the volunteer's tokens is renewed, so the link works once.
func confirmSubmit(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	token := f.Get("token")
	rec, err := verifiedVolunteer(e.App, token)
	if err != nil {
		return badLink(e)
	}
	d := ConfirmData{Token: token, Name: rec.GetString("name"), Email: rec.Email(), Known: rec.Verified()}
	if !web.CheckCSRF(e) {
		d.Error = "error.csrf"
		return showConfirm(e, http.StatusBadRequest, d)
	}
	rec.SetVerified(true)
	if f.Get("action") != "skip" {
		pw := f.Get("password")
		switch {
		case utf8.RuneCountInString(pw) < minPassword:
			d.Error = "volunteer.confirm.too_short"
		case len(pw) > maxPassword:
			d.Error = "volunteer.confirm.too_long"
		case pw != f.Get("password_confirm"):
			d.Error = "volunteer.confirm.mismatch"
		}
		if d.Error != "" {
			return showConfirm(e, http.StatusBadRequest, d)
		}
		rec.SetPassword(pw)
	}
	rec.RefreshTokenKey()
	if err := e.App.Save(rec); err != nil {
		return fmt.Errorf("confirm volunteer: %w", err)
	}
	if err := web.SetSession(e, rec); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/volunteer/me?welcome=1")
}

// CodeData is what the one-time code page receives.
type CodeData struct {
	Email string
	// OTP is the id of the code that was sent; the page then asks for it.
	OTP   string
	Error string // message id
}

func showCode(e *core.RequestEvent, status int, d CodeData) error {
	p := web.NewPage(e, "volunteer.code.title", d)
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, status, "volunteer/login_code", p)
}

func codePage(e *core.RequestEvent) error {
	otp := e.Request.URL.Query().Get("otp")
	if len(otp) > 64 {
		otp = ""
	}
	return showCode(e, http.StatusOK, CodeData{OTP: otp})
}

// maxLiveCodes is how many unexpired codes one volunteer may have; beyond
// it no new code is made or mailed (the last one stays valid).
const maxLiveCodes = 5

// codeRequest mails a one-time code to a volunteer's address. An unknown
// address gets the same page (with an id that matches no code) after the
// same hashing work, so the page does not tell whether it is known.
func codeRequest(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	email, emailErr := contact.Email(f.Get("email"))
	d := CodeData{Email: email}
	if !web.CheckCSRF(e) {
		d.Error = "error.csrf"
		return showCode(e, http.StatusBadRequest, d)
	}
	if emailErr != nil {
		d.Error = "form.error.email_invalid"
		return showCode(e, http.StatusBadRequest, d)
	}
	id, err := SendLoginCode(e.App, email)
	if err != nil {
		return err
	}
	d.OTP = id
	return showCode(e, http.StatusOK, d)
}

// SendLoginCode makes a one-time code for the volunteer with that address
// and queues the mail that carries it (PocketBase's OTP machinery, in the
// volunteer's language, through the outbox). It returns the code's id; for
// an unknown address a random id that matches no code.
func SendLoginCode(app core.App, email string) (string, error) {
	col, err := app.FindCachedCollectionByNameOrId(domain.Volunteers)
	if err != nil {
		return "", err
	}
	code := security.RandomStringWithAlphabet(col.OTP.Length, "1234567890")
	otp := core.NewOTP(app)
	otp.SetCollectionRef(col.Id)
	otp.SetPassword(code) // hashed here on both paths
	rec, err := app.FindAuthRecordByEmail(col, email)
	if err != nil {
		return core.GenerateDefaultRandomId(), nil
	}
	live := 0
	if prev, err := app.FindAllOTPsByRecord(rec); err == nil {
		for _, o := range prev {
			if !o.HasExpired(col.OTP.DurationTime()) {
				live++
			}
		}
		if live >= maxLiveCodes {
			app.Logger().Warn("too many login codes asked for; no new one sent", "volunteer", rec.Id)
			return prev[0].Id, nil // newest first
		}
	}
	otp.SetRecordRef(rec.Id)
	err = app.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(otp); err != nil {
			return err
		}
		return mails.SendRecordOTP(tx, rec, otp.Id, code)
	})
	if err != nil {
		return "", fmt.Errorf("login code: %w", err)
	}
	return otp.Id, nil
}

// maxCodeTries is how many wrong codes one code survives; then it is
// deleted, so guessing an 8-digit code is hopeless.
const maxCodeTries = 5

var (
	triesMu sync.Mutex
	tries   = map[string]int{}
)

// maxTracked bounds the memory of wrong guesses; codes live ten minutes, so
// forgetting all of them now and then only gives a guesser a few more tries.
const maxTracked = 10000

// failedTry counts a wrong code and reports whether the code is used up.
func failedTry(id string) bool {
	triesMu.Lock()
	defer triesMu.Unlock()
	if len(tries) >= maxTracked {
		clear(tries)
	}
	tries[id]++
	if tries[id] >= maxCodeTries {
		delete(tries, id)
		return true
	}
	return false
}

func forgetTries(id string) {
	triesMu.Lock()
	delete(tries, id)
	triesMu.Unlock()
}

// ErrBadCode is a wrong, used up or expired one-time code.
var ErrBadCode = errors.New("invalid or expired login code")

// CheckLoginCode validates a one-time code as PocketBase's auth-with-OTP
// does, deletes it, marks the address confirmed when the code was mailed
// to it, and returns the volunteer.
func CheckLoginCode(app core.App, otpID, code string) (*core.Record, error) {
	col, err := app.FindCachedCollectionByNameOrId(domain.Volunteers)
	if err != nil {
		return nil, err
	}
	if otpID == "" || len(otpID) > 64 || code == "" || len(code) > 71 {
		return nil, ErrBadCode
	}
	otp, err := app.FindOTPById(otpID)
	if err != nil || otp.CollectionRef() != col.Id || otp.HasExpired(col.OTP.DurationTime()) {
		return nil, ErrBadCode
	}
	rec, err := app.FindRecordById(col, otp.RecordRef())
	if err != nil {
		return nil, ErrBadCode
	}
	if !otp.ValidatePassword(code) {
		if failedTry(otp.Id) {
			if err := app.Delete(otp); err != nil {
				app.Logger().Error("delete used-up login code", "error", err)
			}
		}
		return nil, ErrBadCode
	}
	forgetTries(otp.Id)
	sentTo := otp.SentTo()
	if err := app.Delete(otp); err != nil {
		return nil, fmt.Errorf("delete used login code: %w", err)
	}
	if !rec.Verified() && sentTo != "" && strings.EqualFold(sentTo, rec.Email()) {
		rec.SetVerified(true)
		if err := app.Save(rec); err != nil {
			return nil, fmt.Errorf("confirm volunteer: %w", err)
		}
	}
	return rec, nil
}

// codeVerify signs a volunteer in with a one-time code.
func codeVerify(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	d := CodeData{OTP: f.Get("otp")}
	if len(d.OTP) > 64 {
		d.OTP = ""
	}
	if !web.CheckCSRF(e) {
		d.Error = "error.csrf"
		return showCode(e, http.StatusBadRequest, d)
	}
	code := strings.Join(strings.Fields(f.Get("code")), "")
	rec, err := CheckLoginCode(e.App, d.OTP, code)
	if errors.Is(err, ErrBadCode) {
		d.Error = "volunteer.code.invalid"
		return showCode(e, http.StatusBadRequest, d)
	}
	if err != nil {
		return err
	}
	if err := web.SetSession(e, rec); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/volunteer/me")
}
