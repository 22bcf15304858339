// Package volunteers is how the NGO finds its interpreters, hosts, door
// staff and child minders: sign-up with languages and skills, a confirmed
// address and a password, shifts per event, e-mail invitations matched by
// language and skill, answers by link, reminders, and the volunteer's own
// page.
package volunteers

import (
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"kopa/hooks/registration"
	"kopa/hooks/web"
	"kopa/internal/i18n"
	migrations "kopa/pb_migrations"
)

// SignUp is what a volunteer tells us.
type SignUp struct {
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Phone          string   `json:"phone"`
	Languages      []string `json:"languages"`
	Skills         []string `json:"skills"`
	Locale         string   `json:"locale"`
	ContactConsent bool     `json:"contact_consent"`
}

var phonePattern = regexp.MustCompile(`^[0-9+() \-]{0,40}$`)

func subset(list, allowed []string) bool {
	seen := map[string]bool{}
	for _, v := range list {
		ok := false
		for _, a := range allowed {
			ok = ok || a == v
		}
		if !ok || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// Validate trims the sign-up and checks every field.
func (s *SignUp) Validate() error {
	s.Name, s.Phone = strings.TrimSpace(s.Name), strings.TrimSpace(s.Phone)
	s.Email = strings.ToLower(strings.TrimSpace(s.Email))
	errs := validation.Errors{}
	switch {
	case s.Name == "":
		errs["name"] = validation.NewError("validation_required", "Cannot be blank.")
	case utf8.RuneCountInString(s.Name) > 200 || strings.IndexFunc(s.Name, unicode.IsControl) >= 0:
		errs["name"] = validation.NewError("validation_invalid_value", "At most 200 characters, no control characters.")
	}
	if err := registration.ValidateEmail(s.Email); err != nil {
		errs["email"] = err
	}
	if !phonePattern.MatchString(s.Phone) {
		errs["phone"] = validation.NewError("validation_invalid_phone", "Digits, spaces, + ( ) and - only.")
	}
	if len(s.Languages) == 0 || !subset(s.Languages, migrations.Languages) {
		errs["languages"] = validation.NewError("validation_invalid_value", "Choose one or more of "+strings.Join(migrations.Languages, ", ")+".")
	}
	if !subset(s.Skills, migrations.Skills) {
		errs["skills"] = validation.NewError("validation_invalid_value", "Choose from "+strings.Join(migrations.Skills, ", ")+".")
	}
	if !i18n.IsSupported(s.Locale) {
		errs["locale"] = validation.NewError("validation_invalid_locale", "Must be one of lv, en, ru.")
	}
	if !s.ContactConsent {
		errs["contact_consent"] = validation.NewError("validation_consent_required", "We may only contact you with your consent.")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Create stores a new volunteer and queues the mail that confirms the
// address; for an address already signed up it queues a "you are already
// signed up" mail instead. Both take the same path and answer the same, so
// neither the answer nor its timing tells whether an address is known.
// It reports whether the volunteer is new.
func Create(app core.App, s SignUp) (bool, error) {
	created := false
	err := app.RunInTransaction(func(tx core.App) error {
		existing, err := tx.FindAuthRecordByEmail("volunteers", s.Email)
		if err == nil {
			l := web.Catalog().For(localeOf(existing))
			return queueNotice(tx, existing, "volunteer_exists", l.T("vol.mail.exists_subject"),
				[]string{l.T("vol.mail.exists")}, []Button{{l.T("vol.mail.login"), base(tx) + "/manage/login"}})
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId("volunteers")
		if err != nil {
			return err
		}
		r := core.NewRecord(col)
		r.SetEmail(s.Email)
		r.SetPassword(security.RandomString(32)) // replaced when they confirm
		r.Load(map[string]any{"name": s.Name, "phone": s.Phone, "languages": s.Languages, "skills": s.Skills, "locale": s.Locale, "contact_consent": true})
		if err := tx.Save(r); err != nil {
			return err
		}
		created = true
		return queueConfirmation(tx, r)
	})
	return created, err
}

func queueConfirmation(tx core.App, r *core.Record) error {
	token, err := r.NewVerificationToken()
	if err != nil {
		return err
	}
	l := web.Catalog().For(localeOf(r))
	return queueNotice(tx, r, "volunteer_confirm", l.T("vol.mail.confirm_subject"),
		[]string{l.T("vol.mail.confirm")}, []Button{{l.T("vol.mail.confirm_button"), base(tx) + "/volunteer/confirm?token=" + token}})
}

func apiSignUp(e *core.RequestEvent) error {
	data, err := io.ReadAll(io.LimitReader(e.Request.Body, 16<<10))
	if err != nil {
		return e.BadRequestError("Could not read the request body.", nil)
	}
	s := SignUp{Locale: web.Lang(e)}
	if err := json.Unmarshal(data, &s); err != nil {
		return e.BadRequestError("The body must be a JSON object.", validation.Errors{"body": validation.NewError("validation_invalid_json", "Must be a JSON object with the right types.")})
	}
	if err := s.Validate(); err != nil {
		return e.BadRequestError("Please check the highlighted fields.", err)
	}
	created, err := Create(e.App, s)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return e.JSON(status, map[string]any{"status": "pending"})
}

// SignUpPage is the sign-up form's state.
type SignUpPage struct {
	S                 SignUp
	Errors            map[string]string
	Languages, Skills []string
	Done              bool
}

func (p SignUpPage) Has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func signUpPage(e *core.RequestEvent) error {
	return web.Show(e, "volunteer/signup", "vol.title", SignUpPage{S: SignUp{Locale: web.Lang(e)}, Languages: migrations.Languages, Skills: migrations.Skills})
}

func signUpForm(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return web.ErrorPage(e, http.StatusBadRequest, "error.server.title", "form.error.too_large")
	}
	f := e.Request.PostForm
	s := SignUp{Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone"), Languages: f["languages"], Skills: f["skills"],
		Locale: f.Get("locale"), ContactConsent: f.Get("contact_consent") != ""}
	if s.Locale == "" {
		s.Locale = web.Lang(e)
	}
	page := SignUpPage{S: s, Languages: migrations.Languages, Skills: migrations.Skills}
	if err := s.Validate(); err != nil {
		page.Errors = map[string]string{}
		var verrs validation.Errors
		if errors.As(err, &verrs) {
			for k := range verrs {
				page.Errors[k] = "vol.error." + k
			}
		}
		return web.Render(e, http.StatusBadRequest, "volunteer/signup", web.NewPage(e, "vol.title", page))
	}
	if _, err := Create(e.App, s); err != nil {
		return err
	}
	return web.Render(e, http.StatusOK, "volunteer/signup", web.NewPage(e, "vol.title", SignUpPage{Done: true}))
}

// confirmPage checks the link from the confirmation mail and asks for a
// password.
func confirmPage(e *core.RequestEvent) error {
	token := e.Request.URL.Query().Get("token")
	if e.Request.Method == http.MethodPost {
		token = e.Request.FormValue("token")
	}
	r, err := e.App.FindAuthRecordByToken(token, core.TokenTypeVerification)
	if err != nil || r.Collection().Name != "volunteers" {
		return web.ErrorPage(e, http.StatusBadRequest, "vol.confirm_title", "vol.confirm_invalid")
	}
	data := map[string]any{"Token": token, "Name": r.GetString("name")}
	if e.Request.Method == http.MethodGet {
		return web.Show(e, "volunteer/confirm", "vol.confirm_title", data)
	}
	pw := e.Request.FormValue("password")
	switch {
	case !web.CheckCSRF(e):
		data["Error"] = "error.csrf"
	case len(pw) < 10 || len(pw) > 200:
		data["Error"] = "vol.error.password"
	case pw != e.Request.FormValue("password_again"):
		data["Error"] = "vol.error.password_again"
	}
	if data["Error"] != nil {
		return web.Render(e, http.StatusBadRequest, "volunteer/confirm", web.NewPage(e, "vol.confirm_title", data))
	}
	r.SetVerified(true)
	r.SetPassword(pw) // also renews the token key, so the link works once
	if err := e.App.Save(r); err != nil {
		return err
	}
	if err := web.SetSession(e, r); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/volunteer/me")
}
