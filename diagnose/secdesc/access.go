package secdesc

import (
	"fmt"
	"slices"
	"strings"
)

// Principals is the set of SIDs in an access token: the user (or service
// account), its groups and, for services, the service SID.
type Principals []SID

// Has reports whether s is one of the principals.
func (p Principals) Has(s SID) bool { return slices.Contains(p, s) }

// ServicePrincipals returns the SIDs in the token of a Windows service
// with an unrestricted service SID that runs as account (LocalSystem,
// LocalService or NetworkService): the service SID, the account, and the
// groups every service token holds (Everyone, LOCAL, SERVICE,
// Authenticated Users, This Organization, BUILTIN\Users, NT SERVICE\ALL
// SERVICES); LocalSystem also holds BUILTIN\Administrators.
func ServicePrincipals(service string, account SID) Principals {
	p := Principals{ServiceSID(service), account, Everyone, Local, Service, AuthenticatedUsers,
		ThisOrganization, Users, AllServices}
	if account == LocalSystem {
		p = append(p, Administrators)
	}
	return p
}

// CryptSvcPrincipals is the token of the Cryptographic Services service
// (CryptSvc runs as NT AUTHORITY\NETWORK SERVICE with an unrestricted
// service SID).
func CryptSvcPrincipals() Principals { return ServicePrincipals("CryptSvc", NetworkService) }

// Decision is the result of evaluating a DACL for some principals and some
// desired rights.
type Decision struct {
	// Allowed is true when every desired right is granted.
	Allowed bool
	// Desired are the rights asked for (generic bits mapped).
	Desired Mask
	// Granted are all the rights the principals get (generic bits mapped),
	// whatever was desired.
	Granted Mask
	// Missing are the desired rights not granted.
	Missing Mask
	// DeniedBy is the index in the DACL of the first deny ACE that removed
	// a desired right, or -1.
	DeniedBy int
	// GrantedBy are the indexes of the allow ACEs that granted desired
	// rights.
	GrantedBy []int
	// Reason says why, in a sentence.
	Reason string
}

// Access evaluates the DACL the way AccessCheck does for MAXIMUM_ALLOWED
// and then compares with desired: ACEs in order, inherit-only ACEs skipped,
// a deny ACE removes rights not already granted, an allow ACE adds rights
// not already denied, generic rights mapped with mapping. A missing or NULL
// DACL grants everything; an empty DACL grants nothing. The owner
// implicitly gets READ_CONTROL and WRITE_DAC unless an OWNER RIGHTS ACE
// applies. Object ACEs apply without object-type filtering, callback ACEs
// as their plain counterparts.
func (sd *SecurityDescriptor) Access(p Principals, desired Mask, mapping GenericMapping) Decision {
	desired = mapping.Map(desired)
	d := Decision{Desired: desired, DeniedBy: -1}
	if sd.DACL == nil {
		d.Granted = mapping.Map(GenericAll)
		d.Allowed = true
		d.Reason = "the key has no DACL (NULL DACL): everyone has full access"
		return d
	}
	var granted, denied Mask
	ownerRightsACE := false
	for i, a := range sd.DACL.ACEs {
		if a.InheritOnly() || !(a.Type.isAllow() || a.Type.isDeny()) {
			continue
		}
		if a.SID == OwnerRights {
			ownerRightsACE = true
		}
		applies := p.Has(a.SID) || (a.SID == OwnerRights && !sd.Owner.IsZero() && p.Has(sd.Owner))
		if !applies {
			continue
		}
		m := mapping.Map(a.Mask)
		if a.Type.isDeny() {
			newDeny := m &^ granted
			if newDeny&desired != 0 && d.DeniedBy < 0 {
				d.DeniedBy = i
			}
			denied |= newDeny
		} else {
			newGrant := m &^ denied &^ granted
			if newGrant&desired != 0 {
				d.GrantedBy = append(d.GrantedBy, i)
			}
			granted |= m &^ denied
		}
	}
	if !ownerRightsACE && !sd.Owner.IsZero() && p.Has(sd.Owner) {
		granted |= (ReadControl | WriteDAC) &^ denied
	}
	d.Granted = granted
	d.Missing = desired &^ granted
	d.Allowed = d.Missing == 0
	switch {
	case d.Allowed:
		var who []string
		for _, i := range d.GrantedBy {
			who = append(who, describeACE(sd.DACL.ACEs[i], i))
		}
		d.Reason = "granted by " + strings.Join(who, ", ")
		if len(who) == 0 {
			d.Reason = "granted as owner"
		}
	case d.DeniedBy >= 0:
		d.Reason = fmt.Sprintf("%s denied by %s", d.Missing.KeyString(), describeACE(sd.DACL.ACEs[d.DeniedBy], d.DeniedBy))
	default:
		d.Reason = fmt.Sprintf("no ACE grants %s", d.Missing.KeyString())
		if sd.Protected() {
			d.Reason += " and the DACL is protected (inheritance disabled), so the parent's grants do not apply"
		}
	}
	return d
}

func describeACE(a ACE, i int) string {
	kind := "allow"
	if a.Type.isDeny() {
		kind = "deny"
	}
	inh := "explicit"
	if a.IsInherited() {
		inh = "inherited"
	}
	return fmt.Sprintf("ACE #%d %s (%s %s, %s)", i, a.String(), kind, a.SID.Display(), inh)
}

// KeyAccess answers whether a service can keep a registry key up to date:
// set values in it and create subkeys under it.
type KeyAccess struct {
	// Service is the service name, e.g. "CryptSvc".
	Service string
	// SID is the service SID.
	SID SID
	// Protected is true when the key's DACL does not inherit (SE_DACL_PROTECTED).
	Protected bool
	// ServiceACE is true when an ACE names the service SID (inherit-only
	// ones excluded); ServiceACEInherited when that ACE was inherited.
	ServiceACE          bool
	ServiceACEInherited bool
	// SetValue and CreateSubKey are the decisions for KEY_SET_VALUE and
	// KEY_CREATE_SUB_KEY.
	SetValue, CreateSubKey Decision
	// CanWrite is true when both are allowed.
	CanWrite bool
	// Reason summarises, e.g. "NT SERVICE\CryptSvc cannot set values: no
	// ACE grants KEY_SET_VALUE and the DACL is protected ...".
	Reason string
}

// ServiceKeyAccess evaluates sd, the descriptor of a registry key, for a
// service running as account with an unrestricted service SID. For
// CryptSvc use ServiceKeyAccess(sd, "CryptSvc", NetworkService).
func ServiceKeyAccess(sd *SecurityDescriptor, service string, account SID) KeyAccess {
	p := ServicePrincipals(service, account)
	k := KeyAccess{Service: service, SID: p[0], Protected: sd.Protected()}
	if sd.DACL != nil {
		for _, a := range sd.DACL.ACEs {
			if a.SID == k.SID && !a.InheritOnly() && a.Type.isAllow() {
				k.ServiceACE = true
				k.ServiceACEInherited = a.IsInherited()
				break
			}
		}
	}
	k.SetValue = sd.Access(p, KeySetValue, RegistryMapping)
	k.CreateSubKey = sd.Access(p, KeyCreateSubKey, RegistryMapping)
	k.CanWrite = k.SetValue.Allowed && k.CreateSubKey.Allowed
	name := `NT SERVICE\` + service
	switch {
	case k.CanWrite:
		k.Reason = fmt.Sprintf("%s can set values and create subkeys: %s", name, k.SetValue.Reason)
	case !k.SetValue.Allowed:
		k.Reason = fmt.Sprintf("%s cannot set values: %s", name, k.SetValue.Reason)
	default:
		k.Reason = fmt.Sprintf("%s cannot create subkeys: %s", name, k.CreateSubKey.Reason)
	}
	return k
}
