package emulator_test

import (
	"errors"
	"io"
	"net/http"
	"regexp"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func ioCopy(w io.Writer, resp *http.Response) (int64, error) { return io.Copy(w, resp.Body) }

// regexpFind returns the first submatch of pattern in s ("" if none).
func regexpFind(pattern, s string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
