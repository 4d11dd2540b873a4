// Package library is the content library service: it keeps the content of
// library items on local disk, serves it over HTTP, mirrors subscribed
// libraries, and resolves images to their files for the VM Service.
//
//   - Store keeps each item's OVA and its verified, extracted files under
//     <root>/<library-uuid>/<item-uuid>/<sha256>/, written atomically
//     (staged, then renamed into place), so a crash never leaves half an
//     item visible.
//   - Service.Import verifies an OVA (package ova), stores it and creates
//     or updates the ClusterContentLibraryItem or ContentLibraryItem with
//     its status; Service.SeedDefault does so for the .ova files of a
//     directory into the default library "kubevisor-default".
//   - Service.Handler serves uploads (POST /library/v1/libraries/...,
//     authenticated with the caller's Kubernetes credentials and authorized
//     with a SubjectAccessReview) and publication (GET
//     /library/v1/published/<library-uuid>/index.json and the items' .ova
//     and .ovf files, readable without credentials).
//   - Service.FetchIndex and Service.Download mirror a publisher: the index
//     and every item's OVF descriptor at once, the OVAs at once or on first
//     use, each checked against the publisher's SHA-256 digests and the
//     archive's own manifest.
//   - Service.Image, Locate and Ensure give the VM Service an image's
//     local files, downloading them first for an on-demand item.
//
// The item status and image status it computes are pure functions
// (ItemStatus, ImageStatus) shared with the controllers in
// internal/controller/contentlibrary, which keep the API objects in step.
package library
