package library

import (
	"time"

	"github.com/kubevisor/kubevisor/internal/ova"
)

// IndexAPIVersion identifies the format of a published library's index.
const IndexAPIVersion = "library.kubevisor.io/v1"

// Index is a published library's item list (index.json): what a
// subscriber mirrors. Hrefs are relative to the index's own URL.
type Index struct {
	// APIVersion is IndexAPIVersion.
	APIVersion string `json:"apiVersion"`
	// Library describes the published library.
	Library IndexLibrary `json:"library"`
	// Items are the library's items whose content is stored, by name.
	Items []IndexItem `json:"items"`
}

// IndexLibrary describes a published library.
type IndexLibrary struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
	// Version changes whenever the library's own properties change.
	Version string `json:"version,omitempty"`
}

// IndexItem is one published item.
type IndexItem struct {
	// UUID is the publisher's item UUID, the subscriber's sourceID.
	UUID string `json:"uuid"`
	// Name is the item's name.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Type is "OVF".
	Type string `json:"type"`
	// ContentVersion changes whenever the item's files change.
	ContentVersion string `json:"contentVersion"`
	// Modified is when the content was stored.
	Modified time.Time `json:"modified,omitzero"`
	// OVA is the whole archive, which a subscriber downloads.
	OVA IndexFile `json:"ova"`
	// Descriptor is the OVF descriptor alone, which a subscriber reads to
	// describe the image before (or without) downloading the archive.
	Descriptor IndexFile `json:"descriptor"`
	// Files are the archive's members, as the subscriber will store them.
	Files []ova.File `json:"files"`
}

// IndexFile is a downloadable file.
type IndexFile struct {
	// Href is the file's URL, relative to the index.
	Href string `json:"href"`
	// Name is the file's name.
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Item returns the item of the publisher's UUID, or nil.
func (idx *Index) Item(uuid string) *IndexItem {
	if idx == nil {
		return nil
	}
	for i := range idx.Items {
		if idx.Items[i].UUID == uuid {
			return &idx.Items[i]
		}
	}
	return nil
}

// indexItem describes a stored item for the index.
func indexItem(rec *Record, name, description string) IndexItem {
	desc, _ := findFile(rec.Files, rec.Descriptor)
	return IndexItem{
		UUID: rec.ItemUUID, Name: name, Description: description, Type: "OVF",
		ContentVersion: rec.ContentVersion,
		Modified:       rec.Stored,
		OVA:            IndexFile{Href: "items/" + rec.ItemUUID + ".ova", Name: name + ".ova", Size: rec.OVA.Size, SHA256: rec.OVA.SHA256},
		Descriptor:     IndexFile{Href: "items/" + rec.ItemUUID + ".ovf", Name: desc.Name, Size: desc.Size, SHA256: desc.SHA256},
		Files:          rec.Files,
	}
}

func findFile(files []ova.File, name string) (ova.File, bool) {
	for _, f := range files {
		if f.Name == name {
			return f, true
		}
	}
	return ova.File{}, false
}
