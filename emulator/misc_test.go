package emulator_test

import (
	"errors"
	"io"
	"net/http"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func ioCopy(w io.Writer, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }
