package volunteers

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"

	"kopa/hooks/bulletins"
	"kopa/hooks/web"
	"kopa/internal/contact"
	"kopa/internal/domain"
	"kopa/internal/i18n"
)

// MaxPhone is the longest phone number accepted, in bytes.
const MaxPhone = 40

// phonePattern is the schema's phone pattern with at least one digit: a
// phone number, with the usual separators, nothing else.
var phonePattern = regexp.MustCompile(`^[0-9+() \-]*[0-9][0-9+() \-]*$`)

// Input is a volunteer sign-up.
type Input struct {
	Name, Email, Phone string
	Languages, Skills  []string
	Locale             string
	ContactConsent     bool
	// Bulletins: the box to receive the bulletins was ticked (package
	// bulletins, a confirmation mail first).
	Bulletins bool
}

// Normalize trims and lower-cases what should be, then validates every
// field, the name and e-mail with the rules of every entry point (package
// contact). Its error is validation.Errors keyed by the JSON field names.
func (in *Input) Normalize() error {
	in.Phone = strings.TrimSpace(in.Phone)
	in.Locale = strings.ToLower(strings.TrimSpace(in.Locale))
	errs := validation.Errors{}
	var err error
	if in.Name, err = contact.Name(in.Name); err != nil {
		errs["name"] = err
	}
	if in.Email, err = contact.Email(in.Email); err != nil {
		errs["email"] = err
	}
	if in.Phone != "" && (len(in.Phone) > MaxPhone || !phonePattern.MatchString(in.Phone)) {
		errs["phone"] = validation.NewError("validation_invalid_phone", fmt.Sprintf("Must be a phone number of at most %d digits, spaces and + ( ) -.", MaxPhone))
	}
	if in.Languages, err = pick(in.Languages, domain.Languages); err != nil {
		errs["languages"] = err
	} else if len(in.Languages) == 0 {
		errs["languages"] = validation.NewError("validation_required", "Choose at least one language.")
	}
	if in.Skills, err = pick(in.Skills, domain.Skills); err != nil {
		errs["skills"] = err
	}
	if !i18n.IsSupported(in.Locale) {
		errs["locale"] = validation.NewError("validation_invalid_locale", "Must be one of lv, en, ru.")
	}
	if !in.ContactConsent {
		errs["contact_consent"] = validation.NewError("validation_required", "Volunteers must agree to be contacted about shifts.")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// pick checks that every value is one of allowed and returns them without
// repeats, in the order of allowed.
func pick(values, allowed []string) ([]string, error) {
	seen := map[string]bool{}
	for _, v := range values {
		if !contains(allowed, v) {
			return nil, validation.NewError("validation_invalid_value", "Must be values from "+strings.Join(allowed, ", ")+".")
		}
		seen[v] = true
	}
	out := []string{}
	for _, a := range allowed {
		if seen[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// DecodeInput reads a JSON sign-up field by field, so a value of the wrong
// type is reported on its own field, then normalizes it. A missing locale
// is defaultLocale; unknown fields are ignored.
func DecodeInput(data []byte, defaultLocale string) (Input, error) {
	in := Input{Locale: defaultLocale}
	obj, err := web.ParseJSONObject(data)
	if err != nil {
		return in, err
	}
	obj.Field("name", &in.Name, "Must be a string.")
	obj.Field("email", &in.Email, "Must be a string.")
	obj.Field("phone", &in.Phone, "Must be a string.")
	obj.Field("locale", &in.Locale, "Must be a string.")
	obj.Field("languages", &in.Languages, "Must be a list of language codes.")
	obj.Field("skills", &in.Skills, "Must be a list of skills.")
	obj.Field("contact_consent", &in.ContactConsent, "Must be true or false.")
	obj.Field("bulletins", &in.Bulletins, "Must be true or false.")
	err = obj.Check(in.Normalize)
	return in, err
}

// Signup stores a new, unconfirmed volunteer and queues the mail that
// confirms the address (PocketBase's verification mail, in the volunteer's
// language). When the address already belongs to a volunteer nothing is
// stored and its owner is mailed a "you are already signed up" with a link
// that signs them in instead. Both paths hash a password and queue one mail
// in one transaction, so neither the answer nor its timing tells the caller
// whether the address is known. created reports which path was taken, for
// the caller's logs and tests only.
func Signup(app core.App, in Input) (created bool, err error) {
	err = app.RunInTransaction(func(tx core.App) error {
		col, err := tx.FindCachedCollectionByNameOrId(domain.Volunteers)
		if err != nil {
			return err
		}
		rec := core.NewRecord(col)
		// A random password nobody knows: the volunteer chooses one when
		// confirming the address, or logs in by one-time code.
		rec.SetRandomPassword()
		// Whether the address is new or known, a ticked box subscribes it
		// to the bulletins (a confirmation mail first), in this
		// transaction.
		if in.Bulletins {
			if err := subscribe(tx, in); err != nil {
				return err
			}
		}
		existing, err := tx.FindAuthRecordByEmail(col, in.Email)
		if err == nil {
			return queueMail(tx, existing, mailAlready, existing.Id)
		}
		rec.SetEmail(in.Email)
		rec.SetVerified(false)
		rec.Set("name", in.Name)
		rec.Set("phone", in.Phone)
		rec.Set("languages", in.Languages)
		rec.Set("skills", in.Skills)
		rec.Set("locale", in.Locale)
		rec.Set("contact_consent", true)
		rec.Set("status", VolunteerPending) // until an organiser approves them
		if err := tx.Save(rec); err != nil {
			return fmt.Errorf("save volunteer: %w", err)
		}
		created = true
		// Through OnMailerRecordVerificationSend (localized below) and
		// OnMailerSend into the outbox, inside this transaction.
		if err := mails.SendRecordVerification(tx, rec); err != nil {
			return fmt.Errorf("queue verification mail: %w", err)
		}
		return nil
	})
	return created, err
}

// subscribe records the consent to the bulletins given on the sign-up
// form. A language the bulletins do not have gets them in Latvian.
func subscribe(tx core.App, in Input) error {
	req := bulletins.Request{Email: in.Email, Locale: in.Locale}
	if req.Check() != nil {
		req.Locale = "lv"
		if req.Check() != nil {
			return nil
		}
	}
	return bulletins.SubscribeTx(tx, req, bulletins.SourceVolunteer)
}

// signupAccepted is the answer to every valid sign-up, new or not.
var signupAccepted = map[string]any{"status": "pending"}

func apiSignup(e *core.RequestEvent) error {
	in, err := web.DecodeJSON(e, DecodeInput)
	if err != nil {
		return err
	}
	if _, err := Signup(e.App, in); err != nil {
		return err
	}
	// 202 for a new and a known address alike: what happens next is in the
	// mail, which only the address's owner reads.
	return e.JSON(http.StatusAccepted, signupAccepted)
}

// SignupForm is the state of the sign-up page's form.
type SignupForm struct {
	Name, Email, Phone string
	Languages, Skills  []string
	Locale             string
	ContactConsent     bool
	Bulletins          bool
	// Errors maps a field (or "form") to a message id.
	Errors map[string]string
}

// Has reports whether v is among the chosen values (for checkboxes).
func (f SignupForm) Has(list []string, v string) bool { return contains(list, v) }

// SignupData is what the sign-up page receives.
type SignupData struct {
	Form                    SignupForm
	AllLanguages, AllSkills []string
	AllLocales              []string
}

func showSignup(e *core.RequestEvent, status int, f SignupForm) error {
	if f.Locale == "" {
		f.Locale = web.Lang(e)
	}
	p := web.NewPage(e, "volunteer.signup.title", SignupData{
		Form: f, AllLanguages: domain.Languages, AllSkills: domain.Skills, AllLocales: domain.Locales,
	})
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, status, "volunteer/signup", p)
}

func signupPage(e *core.RequestEvent) error {
	return showSignup(e, http.StatusOK, SignupForm{})
}

// signupSubmit is the sign-up form's handler; it needs no JavaScript. Valid
// sign-ups, new or known, see the same "check your e-mail" page.
func signupSubmit(e *core.RequestEvent) error {
	f, err := web.ParseForm(e)
	if err != nil {
		return err
	}
	form := SignupForm{
		Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone"),
		Languages: f["languages"], Skills: f["skills"], Locale: f.Get("locale"),
		ContactConsent: f.Get("contact_consent") != "", Bulletins: f.Get("bulletins") != "",
	}
	// A filled honeypot is a bot: it sees what a person sees, nothing is
	// stored or sent.
	if f.Get("website") != "" {
		return showNotice(e, http.StatusOK, "volunteer.check_mail.title", "volunteer.check_mail.text", "", "")
	}
	in := Input{Name: form.Name, Email: form.Email, Phone: form.Phone, Languages: form.Languages,
		Skills: form.Skills, Locale: form.Locale, ContactConsent: form.ContactConsent, Bulletins: form.Bulletins}
	if err := in.Normalize(); err != nil {
		form.Errors = fieldMessages(err)
		return showSignup(e, http.StatusBadRequest, form)
	}
	if _, err := Signup(e.App, in); err != nil {
		return err
	}
	return showNotice(e, http.StatusOK, "volunteer.check_mail.title", "volunteer.check_mail.text", "", "")
}

// fieldMessages maps sign-up validation errors to message ids.
func fieldMessages(err error) map[string]string {
	out := map[string]string{}
	var verrs validation.Errors
	if !errors.As(err, &verrs) {
		out["form"] = "error.server.text"
		return out
	}
	for field, fe := range verrs {
		switch field {
		case "name":
			out[field] = web.NameMessage(fe)
		case "email":
			out[field] = "form.error.email_invalid"
		case "phone", "languages", "skills", "locale", "contact_consent":
			out[field] = "volunteer.error." + field
		default:
			out["form"] = "form.error.invalid"
		}
	}
	return out
}

// NoticeData is a page with a heading, a text and maybe a link: the "check
// your e-mail" page and the outcomes of the volunteer pages.
type NoticeData struct {
	Heading, Text  string // message ids
	Link, LinkText string
}

func showNotice(e *core.RequestEvent, status int, heading, text, link, linkText string) error {
	p := web.NewPage(e, heading, NoticeData{Heading: heading, Text: text, Link: link, LinkText: linkText})
	p.Styles = []string{"css/volunteers.css"}
	return web.Render(e, status, "volunteer/notice", p)
}
