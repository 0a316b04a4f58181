package cleanlocale

import "testing"

func TestLanguage(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
		set  bool
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en", true},
		{map[string]string{"LC_ALL": "C.utf8", "LANG": "en_US.UTF-8"}, "en", true},
		{map[string]string{"LANG": "POSIX.UTF-8"}, "en", true},
		{map[string]string{"LANG": "C"}, "", false},
		{map[string]string{"LC_ALL": "POSIX"}, "", false},
		{map[string]string{}, "", false},
		{map[string]string{"LANG": "en_US.UTF-8"}, "", false},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "de:en"}, "", false},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr:C"}, "fr", true},
		{map[string]string{"LANGUAGE": "C"}, "en", true},
		{map[string]string{"LANG": "C", "LANGUAGE": "C"}, "", false}, // go-locale ignores LANGUAGE under C
	} {
		got, set := Language(func(k string) string { return tc.env[k] })
		if got != tc.want || set != tc.set {
			t.Errorf("%v: got %q, %v; want %q, %v", tc.env, got, set, tc.want, tc.set)
		}
	}
}
