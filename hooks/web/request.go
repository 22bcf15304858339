package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// MaxBody is the largest request body Kopā's own routes read, a form or a
// JSON body alike: 64 KiB is far more than any of its forms holds, and
// little enough that nobody can make the server buffer much. Both readers
// below apply it; no handler limits a body on its own.
const MaxBody = 64 << 10

const (
	limitKey = "kopa.bodyLimit"
	formKey  = "kopa.form"
)

// limitBody puts MaxBody on the request's body, once.
func limitBody(e *core.RequestEvent) {
	if e.Get(limitKey) != nil {
		return
	}
	e.Set(limitKey, true)
	e.Request.Body = http.MaxBytesReader(e.Response, e.Request.Body, MaxBody)
}

// bodyError is the answer to a body that could not be read: 413 with
// data.code "too_large" when it is over MaxBody, 400 otherwise. On a page
// route it becomes the HTML error page (see pageErrors).
func bodyError(err error) *router.ApiError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return CodeError(http.StatusRequestEntityTooLarge, "too_large", "The request body is larger than 64 KiB.")
	}
	return router.NewBadRequestError("Could not read the request body.", nil)
}

// ReadBody reads the request's body, at most MaxBody bytes; a larger body
// is a 413 in PocketBase's error shape with data.code "too_large".
func ReadBody(e *core.RequestEvent) ([]byte, error) {
	limitBody(e)
	data, err := io.ReadAll(e.Request.Body)
	if err != nil {
		return nil, bodyError(err)
	}
	return data, nil
}

// parsedForm is the outcome of ParseForm, kept for the rest of the request.
type parsedForm struct {
	values url.Values
	err    error
}

// ParseForm reads the posted form of a page (URL-encoded or multipart, at
// most MaxBody bytes) and returns its fields. Every handler that reads a
// form calls it first, even behind RequireCSRF: a CSRF token sent in the
// X-CSRF-Token header leaves the body unread. The outcome is kept, so
// calling it again (the CSRF check does when the token is a form field) is
// free and answers the same.
//
// The error is 413 (data.code "too_large") for a body over MaxBody and 400
// for one that is not a form; returned from a page handler, it is shown as
// the HTML error page in the visitor's language.
func ParseForm(e *core.RequestEvent) (url.Values, error) {
	if p, ok := e.Get(formKey).(*parsedForm); ok {
		return p.values, p.err
	}
	limitBody(e)
	r := e.Request
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(MaxBody)
	} else {
		err = r.ParseForm()
	}
	p := &parsedForm{values: r.PostForm}
	if p.values == nil {
		p.values = url.Values{}
	}
	if err != nil {
		p.values, p.err = url.Values{}, bodyError(err)
	}
	e.Set(formKey, p)
	return p.values, p.err
}

// JSONObject is a JSON object body read field by field, so a value of the
// wrong type is reported on its own field in PocketBase's error shape, and
// fields nobody asks for are ignored. The public JSON endpoints that take
// what a person typed (registration, volunteer sign-up) read their bodies
// with it.
type JSONObject struct {
	raw  map[string]json.RawMessage
	errs validation.Errors
}

// ParseJSONObject parses data as a JSON object; anything else is an error
// on "body" (validation_invalid_json). A bare null is an object without
// fields.
func ParseJSONObject(data []byte) (*JSONObject, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, validation.Errors{"body": validation.NewError("validation_invalid_json", "Must be a JSON object.")}
	}
	return &JSONObject{raw: raw, errs: validation.Errors{}}, nil
}

// Field decodes the value of key into dst when it is there and not null,
// and records validation_invalid_type with msg on key when it has the
// wrong type. dst keeps its value otherwise (a default).
func (o *JSONObject) Field(key string, dst any, msg string) {
	if v, ok := o.raw[key]; ok && string(v) != "null" {
		if json.Unmarshal(v, dst) != nil {
			o.errs[key] = validation.NewError("validation_invalid_type", msg)
		}
	}
}

// Check runs validate (the input's own rules, once every field is read)
// and returns the errors of both as one validation.Errors, or nil. A field
// of the wrong type keeps that error rather than what validate says of it.
func (o *JSONObject) Check(validate func() error) error {
	var verrs validation.Errors
	if err := validate(); errors.As(err, &verrs) {
		for k, v := range verrs {
			if _, already := o.errs[k]; !already {
				o.errs[k] = v
			}
		}
	}
	if len(o.errs) > 0 {
		return o.errs
	}
	return nil
}

// DecodeJSON reads the request's JSON body (ReadBody: at most MaxBody,
// else 413 "too_large") and decodes it with decode, which gets the
// visitor's language as the default locale. Per-field errors are a 400 in
// PocketBase's shape.
func DecodeJSON[T any](e *core.RequestEvent, decode func(data []byte, defaultLocale string) (T, error)) (T, error) {
	data, err := ReadBody(e)
	if err != nil {
		var zero T
		return zero, err
	}
	in, err := decode(data, Lang(e))
	if err != nil {
		return in, e.BadRequestError("Please check the highlighted fields.", err)
	}
	return in, nil
}
