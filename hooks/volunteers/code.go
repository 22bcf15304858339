package volunteers

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"kopa/internal/domain"
	"kopa/internal/ticketfile"
)

// A volunteer's personal code (volunteers.code, made by PocketBase when the
// volunteer is created) is shown as a QR code in their portal; the door
// scans it and records their arrival on their shift (package checkin). It
// is a hidden field, like the organisers' note: PocketBase never
// serialises it, never lets a filter or sort read it, and keeps it out of
// every write's body. Only the volunteer it belongs to and organisers are
// shown it, wherever PocketBase serialises a volunteer.

// showCodeToOwner unhides the code for the volunteer themselves and for
// organisers. Another volunteer never sees it (the record API's rules
// already keep other volunteers' records from them; this keeps the code
// out of any serialisation that might reach them anyway).
func showCodeToOwner(e *core.RecordEnrichEvent) error {
	if e.RequestInfo != nil && e.RequestInfo.Auth != nil {
		auth := e.RequestInfo.Auth
		if domain.IsStaff(auth) || (domain.IsVolunteer(auth) && auth.Id == e.Record.Id) {
			e.Record.Unhide("code")
		}
	}
	return e.Next()
}

// codeQR draws the signed-in volunteer's code as a QR code for the portal.
// It is a secret: never cached, never sent as a referrer.
func codeQR(e *core.RequestEvent) error {
	v, err := e.App.FindRecordById(domain.Volunteers, e.Auth.Id)
	if err != nil || v.GetString("code") == "" {
		return e.NotFoundError("", nil)
	}
	png, err := ticketfile.QR(v.GetString("code"))
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "private, no-store")
	return e.Blob(http.StatusOK, "image/png", png)
}
