package library

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 4122 name-based UUIDs (version 5) are defined with SHA-1
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Names of things this package puts on API objects.
const (
	// ItemFinalizer holds an item until its images and files are gone.
	ItemFinalizer = "imageregistry.kubevisor.io/item"
	// LibraryFinalizer holds a library until its items and files are gone.
	LibraryFinalizer = "imageregistry.kubevisor.io/library"
	// ItemUIDLabel marks a VirtualMachineImage or ClusterVirtualMachineImage
	// with the UID of the library item it was made from.
	ItemUIDLabel = "imageregistry.kubevisor.io/item-uid"
	// ManagedByLabel and ManagedBySupervisorNamespace mark a ContentLibrary
	// that binds a ClusterContentLibrary into a namespace (made by the
	// namespace service): it has no items of its own.
	ManagedByLabel               = "kubevisor.io/managed-by"
	ManagedBySupervisorNamespace = "supervisornamespace"
	// DefaultLibraryName is the cluster-wide library the Supervisor fills
	// with its seed images.
	DefaultLibraryName = "kubevisor-default"

	itemNamePrefix  = "clitem-"
	imageNamePrefix = "vmi-"
	// nameIDLen is the length of the hex ID in item and image names, as in
	// vm-operator's "vmi-0a0044d7c690bcbea".
	nameIDLen = 17
)

// ItemObjectName is the name of the ContentLibraryItem or
// ClusterContentLibraryItem of an item: "clitem-" and 17 hex digits
// derived from id (the item's UUID, or the publisher's item UUID under
// the PREFER_ITEM_SOURCE_ID naming strategy).
func ItemObjectName(id string) string {
	return itemNamePrefix + hashID(id)
}

// ImageName is the name of the VirtualMachineImage or
// ClusterVirtualMachineImage made from the item object named itemName: as
// in vm-operator, "clitem-<id>" becomes "vmi-<id>". An item not named that
// way gets "vmi-" and a hash of its UUID.
func ImageName(itemName, itemUUID string) string {
	if id, ok := strings.CutPrefix(itemName, itemNamePrefix); ok && id != "" {
		return imageNamePrefix + id
	}
	return imageNamePrefix + hashID(itemUUID)
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])[:nameIDLen]
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// NameUUID returns the name-based (version 5) UUID of name within
// namespace, so that the same item always gets the same UUID.
func NameUUID(namespace, name string) string {
	h := sha1.New() //nolint:gosec // RFC 4122 version 5
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// LocalItemUUID is the UUID of the item called name in a local library.
func LocalItemUUID(libraryUUID, name string) string {
	return NameUUID(libraryUUID, "item/"+name)
}

// SubscribedItemUUID is the UUID, in a subscribed library, of the
// publisher's item sourceID.
func SubscribedItemUUID(libraryUUID, sourceID string) string {
	return NameUUID(libraryUUID, "source/"+sourceID)
}

// DefaultLibraryUUID is the UUID of the default library.
const DefaultLibraryUUID = "6b7c1a0e-6b1e-5d4a-9c2f-6b7562657669"

// checkItemName accepts an item's display name: 1 to 255 characters, no
// slash and no control characters.
func checkItemName(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("an item name must have 1 to 255 characters")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return fmt.Errorf("item name %q: no slashes or control characters", name)
		}
	}
	return nil
}
