package registration

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"kopa/hooks/attendance"
	"kopa/hooks/web"
	"kopa/internal/domain"
)

// Form is the registration form's state when it is shown again with errors.
type Form struct {
	Name, Email  string
	PhotoConsent bool
	// Bulletins: the box to receive the bulletins is ticked.
	Bulletins bool
	// Interpretation lists the languages asked for.
	Interpretation []string
	// Party is how many are coming, Childcare how many children among
	// them need minding (as chosen; the form starts with 1 and 0).
	Party, Childcare int
	// Errors maps a field ("name", "email", or "form") to a message id.
	Errors map[string]string
}

// Wants reports whether the form asked for interpretation into lang.
func (f Form) Wants(lang string) bool {
	return contains(f.Interpretation, lang)
}

// EventPageData is what templates/pages/event.html receives.
type EventPageData struct {
	Event domain.EventView
	Form  Form
	// Languages are those the form offers interpretation into.
	Languages []string
	// PartySizes are the party sizes the form offers (1 to the event's
	// max_party, no more than its seats): the form asks "how many of you
	// are coming?" only where there is more than one. Children are those
	// it offers to have minded (0 to the largest party), where the event
	// offers child minding.
	PartySizes, Children []int
	// EmailOptional: the e-mail address may be left out.
	EmailOptional bool
}

// Asks reports whether the form asks how many are coming.
func (d EventPageData) Asks() bool { return len(d.PartySizes) > 1 }

// upTo is 0 or 1 (from) to n.
func upTo(from, n int) []int {
	out := make([]int, 0, n+1)
	for i := from; i <= n; i++ {
		out = append(out, i)
	}
	return out
}

// LargestParty is the largest party a registration for ev may hold: its
// max_party, and no more than all its seats. (A series has the same
// fields, which its sessions copy.)
func LargestParty(ev *core.Record) int { return largestParty(ev) }

// largestParty is the largest party a registration for ev may hold: its
// max_party, and no more than all its seats.
func largestParty(ev *core.Record) int {
	most := domain.MaxParty(ev)
	if c := ev.GetInt("capacity"); c > 0 {
		most = min(most, c)
	}
	return most
}

// PartyChoices are the party sizes a public registration form offers (1 to
// the largest party, most) and the children to mind (0 to most, where
// child minding is offered; else none). The form asks how many are coming
// only where there is more than one size (templates/partials/form_party.html).
func PartyChoices(most int, childcare bool) (sizes, children []int) {
	sizes = upTo(1, most)
	if childcare {
		children = upTo(0, most)
	}
	return sizes, children
}

// ShowUnasked shows an error on a question the form does not ask (a form
// sent by hand) above the form: sizes and children are the form's choices
// (PartyChoices).
func (f Form) ShowUnasked(sizes, children []int) {
	for field, asked := range map[string]bool{"party": len(sizes) > 1, "childcare": len(children) > 0} {
		if msg := f.Errors[field]; msg != "" && !asked {
			f.Errors["form"] = msg
		}
	}
}

// findPublished returns the published (or cancelled, so its page can say
// so) event with that id; drafts and unknown ids give nil.
func findPublished(app core.App, id string) *core.Record {
	rec, err := app.FindRecordById(domain.Events, id)
	if err != nil || domain.EventStatusOf(rec) == domain.EventDraft {
		return nil
	}
	return rec
}

// eventPage is an event's public page, with its registration form while
// registration is open.
func eventPage(e *core.RequestEvent) error {
	rec := findPublished(e.App, e.Request.PathValue("id"))
	if rec == nil {
		return web.NotFound(e)
	}
	return showEvent(e, http.StatusOK, rec, Form{Party: 1})
}

// showEvent renders an event's page with the registration form in the
// given state (formRegister shows errors with it).
func showEvent(e *core.RequestEvent, status int, rec *core.Record, form Form) error {
	st, err := attendance.ForEvent(e.App, rec.Id)
	if err != nil {
		return err
	}
	view := domain.NewEventView(rec, web.Lang(e), st)
	data := EventPageData{Event: view, Form: form, Languages: domain.Languages, EmailOptional: domain.EmailOptional(rec)}
	data.PartySizes, data.Children = PartyChoices(largestParty(rec), domain.OffersChildcare(rec))
	data.Form.ShowUnasked(data.PartySizes, data.Children)
	p := web.NewPage(e, "", data)
	p.Title = view.Title
	p.Path = "/events/" + rec.Id // the language switch shows the event, also after a POST
	return web.Render(e, status, "event", p)
}
