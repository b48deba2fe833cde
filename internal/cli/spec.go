package cli

import (
	"regexp"
	"slices"
	"strings"
)

// pair is one key=value of a compound flag such as --act.
type pair struct{ key, value string }

var keyLike = regexp.MustCompile(`^\s*[a-z_]+=`)

// splitSpec reads a compound flag value: "violation=rape,sex=female". A
// comma separates pairs only where a known key follows it, so values may
// hold commas ("perpetrator=men in uniform, armed"). With leading, the
// first part may be a bare value (the source in --source), returned apart.
func splitSpec(flag, spec string, keys []string, leading bool) (lead string, pairs []pair, err error) {
	known := func(seg string) (pair, bool) {
		k, v, ok := strings.Cut(seg, "=")
		k = strings.TrimSpace(k)
		return pair{k, strings.TrimSpace(v)}, ok && slices.Contains(keys, k)
	}
	for i, seg := range strings.Split(spec, ",") {
		if p, ok := known(seg); ok {
			pairs = append(pairs, p)
			continue
		}
		switch {
		case keyLike.MatchString(seg):
			k, _, _ := strings.Cut(seg, "=")
			return "", nil, usagef("%s %q: unknown key %q; the keys are %s", flag, spec, strings.TrimSpace(k), strings.Join(keys, ", "))
		case i == 0 && !leading:
			return "", nil, usagef("%s %q: expected key=value pairs separated by commas; the keys are %s", flag, spec, strings.Join(keys, ", "))
		case len(pairs) == 0:
			if i > 0 {
				lead += ","
			}
			lead += seg
		default:
			pairs[len(pairs)-1].value += "," + strings.TrimRight(seg, " ")
		}
	}
	return strings.TrimSpace(lead), pairs, nil
}

// langText reads "ar=حماس" for --name-in and --alias.
func langText(flag, spec string) (lang, text string, err error) {
	lang, text, ok := strings.Cut(spec, "=")
	lang, text = strings.TrimSpace(lang), strings.TrimSpace(text)
	if !ok || lang == "" || text == "" {
		return "", "", usagef("%s %q: expected LANG=NAME, such as ar=حماس", flag, spec)
	}
	return lang, text, nil
}
