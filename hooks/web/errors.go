package web

import (
	"github.com/pocketbase/pocketbase/tools/router"
)

// CodeError is a JSON error in PocketBase's shape whose data carries a
// machine-readable code: {"status":409,"message":"…","data":{"code":"full"}}.
// (PocketBase turns plain data maps into per-field errors, so the code is
// set after the error is made.)
func CodeError(status int, code, message string) *router.ApiError {
	err := router.NewApiError(status, message, nil)
	err.Data = map[string]any{"code": code}
	return err
}
