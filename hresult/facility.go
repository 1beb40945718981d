package hresult

// preferredFacility picks one name for the HRESULT facility numbers that
// the sources give several names: the one a Windows Update reader expects.
var preferredFacility = map[uint16]string{
	9:   "FACILITY_SECURITY",      // also FACILITY_SSPI
	33:  "FACILITY_CONFIGURATION", // also FACILITY_WIA
	39:  "FACILITY_SHELL",         // also FACILITY_NAP
	48:  "FACILITY_WINDOWS_SETUP", // also FACILITY_PLA
	61:  "FACILITY_WEBSERVICES",   // also FACILITY_WINPE
	84:  "FACILITY_MBN",           // also FACILITY_POWERSHELL
	256: "FACILITY_SPP",           // also FACILITY_RESTORE, FACILITY_DMSERVER
}

// FacilityName returns the name of an HRESULT facility number (11 bits), for
// example FACILITY_WIN32 for 7 and FACILITY_WINDOWSUPDATE for 36, or "" when
// no source names it.
func FacilityName(f uint16) string {
	if n, ok := preferredFacility[f]; ok {
		return n
	}
	return facilityName(f, false)
}

// NTSTATUSFacilityName returns the name of an NTSTATUS facility number (12
// bits), for example FACILITY_NTWIN32 for 7 and FACILITY_TRANSACTION for
// 0x19, or "" when no source names it.
func NTSTATUSFacilityName(f uint16) string { return facilityName(f, true) }

// FacilityNames returns every name the sources give an HRESULT facility
// number (nt false) or an NTSTATUS facility number (nt true).
func FacilityNames(f uint16, nt bool) []string {
	var out []string
	for _, g := range genFacilities {
		if g.num == f && g.nt == nt {
			out = append(out, g.name)
		}
	}
	return out
}

func facilityName(f uint16, nt bool) string {
	for _, g := range genFacilities {
		if g.num == f && g.nt == nt {
			return g.name
		}
	}
	return ""
}
