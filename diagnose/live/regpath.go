package live

import (
	"fmt"
	"strings"
)

// Registry roots the probes understand, by their short names.
var rootNames = map[string]string{
	"HKLM": "HKLM", "HKEY_LOCAL_MACHINE": "HKLM",
	"HKCU": "HKCU", "HKEY_CURRENT_USER": "HKCU",
	"HKU": "HKU", "HKEY_USERS": "HKU",
	"HKCR": "HKCR", "HKEY_CLASSES_ROOT": "HKCR",
}

// splitKeyPath splits `HKLM\SOFTWARE\...\Key` into its root's short name
// and the key path below it.
func splitKeyPath(path string) (root, key string, err error) {
	r, rest, _ := strings.Cut(path, `\`)
	root, ok := rootNames[strings.ToUpper(r)]
	if !ok {
		return "", "", fmt.Errorf("registry path %q: unknown root %q (want HKLM, HKCU, HKU or HKCR)", path, r)
	}
	rest = strings.Trim(rest, `\`)
	if rest == "" {
		return "", "", fmt.Errorf("registry path %q: no key below the root", path)
	}
	return root, rest, nil
}

// splitValuePath splits `HKLM\SOFTWARE\...\Key\Value` into root, key and
// value name (the part after the last backslash).
func splitValuePath(path string) (root, key, value string, err error) {
	i := strings.LastIndexByte(path, '\\')
	if i < 0 {
		return "", "", "", fmt.Errorf("registry path %q: want ROOT\\key\\value", path)
	}
	root, key, err = splitKeyPath(path[:i])
	if err != nil {
		return "", "", "", err
	}
	return root, key, path[i+1:], nil
}
