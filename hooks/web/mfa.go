package web

import (
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/security"

	"kopa/internal/domain"
)

// Multi-factor sign-in on the console's login page. When an organiser has
// switched on PocketBase's MFA with one-time codes for their collection, a
// right password alone signs nobody in: it makes a PocketBase one-time code
// (a core.OTP record, mailed with PocketBase's own template, which goes out
// through the outbox as PocketBase's other mails do), and the page asks for
// it. Only the right code, before it expires, makes the session. The code's
// form posts to /manage/login too, so the login's rate limit covers it.
//
// The password step is remembered as PocketBase's API remembers it: a
// core.MFA record of method "password", whose id the code's form carries.
// A code asked for through the API (request-otp, no password) has no such
// record, so it cannot sign anyone in here.

// codeLangs holds the console language of each one-time code being mailed
// (by the code's record id), for the mail's hook: PocketBase's mail event
// carries only the code. CodeLang takes it out.
var codeLangs sync.Map

// CodeLang is the language of the login page that asked for the one-time
// code otpID ("" when it was not the console's login, e.g. PocketBase's
// request-otp API); it is forgotten once read.
func CodeLang(otpID string) string {
	v, ok := codeLangs.LoadAndDelete(otpID)
	if !ok {
		return ""
	}
	return v.(string)
}

// loginSendCode makes and mails a one-time code for rec, whose password
// was right, and shows the form that asks for it.
func loginSendCode(e *core.RequestEvent, rec *core.Record, email, next string) error {
	col := rec.Collection()
	mfa := core.NewMFA(e.App)
	mfa.SetCollectionRef(col.Id)
	mfa.SetRecordRef(rec.Id)
	mfa.SetMethod(core.MFAMethodPassword)
	if err := e.App.Save(mfa); err != nil {
		return err
	}
	otp := core.NewOTP(e.App)
	otp.SetCollectionRef(col.Id)
	otp.SetRecordRef(rec.Id)
	otp.SetSentTo(rec.Email())
	pass := security.RandomStringWithAlphabet(col.OTP.Length, "1234567890")
	otp.SetPassword(pass)
	if err := e.App.Save(otp); err != nil {
		return err
	}
	codeLangs.Store(otp.Id, Lang(e))
	err := mails.SendRecordOTP(e.App, rec, otp.Id, pass)
	codeLangs.Delete(otp.Id)
	if err != nil {
		e.App.Logger().Error("mail the sign-in code", "error", errors.Join(err, e.App.Delete(otp), e.App.Delete(mfa)))
		return Render(e, http.StatusInternalServerError, "login", NewPage(e, "login.title", loginData{Email: email, Next: next, Error: "manage.login_code_mail"}))
	}
	return Render(e, http.StatusOK, "login", NewPage(e, "login.title", loginData{Email: email, Next: next, OTP: otp.Id, MFA: mfa.Id}))
}

// loginCode checks the mailed code of the one-time code otpID and signs its
// account in when it is right and fresh. A wrong code shows the code's
// form again; an expired or unknown one sends the organiser back to the
// password.
func loginCode(e *core.RequestEvent, otpID, mfaID, code, email, next string) error {
	again := func(otp, mfa, msg string) error {
		return Render(e, http.StatusBadRequest, "login", NewPage(e, "login.title", loginData{Email: email, Next: next, OTP: otp, MFA: mfa, Error: msg}))
	}
	expired := func() error { return again("", "", "manage.login_code_expired") }
	code = strings.TrimSpace(code)
	if len(otpID) > 100 || len(mfaID) > 100 || len(code) > 100 || mfaID == "" {
		return expired()
	}
	otp, err := e.App.FindOTPById(otpID)
	if err != nil {
		return expired()
	}
	mfa, err := e.App.FindMFAById(mfaID)
	if err != nil || mfa.Method() != core.MFAMethodPassword ||
		mfa.CollectionRef() != otp.CollectionRef() || mfa.RecordRef() != otp.RecordRef() {
		return expired()
	}
	rec, err := e.App.FindRecordById(otp.CollectionRef(), otp.RecordRef())
	if err != nil || !(domain.IsOrganiser(rec) || domain.IsVolunteer(rec) && rec.Verified()) {
		return expired()
	}
	col := rec.Collection()
	if otp.HasExpired(col.OTP.DurationTime()) || mfa.HasExpired(col.MFA.DurationTime()) {
		if err := errors.Join(e.App.Delete(otp), e.App.Delete(mfa)); err != nil {
			e.App.Logger().Error("delete an expired sign-in code", "error", err)
		}
		return expired()
	}
	if code == "" || !otp.ValidatePassword(code) {
		return again(otp.Id, mfa.Id, "manage.login_code_wrong")
	}
	// A code, and the password step with it, work once.
	if err := errors.Join(e.App.Delete(otp), e.App.Delete(mfa)); err != nil {
		return err
	}
	if err := SetSession(e, rec); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, SafeNext(next, home(rec)))
}
