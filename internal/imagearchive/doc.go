// Package imagearchive writes container images as docker-archive tarballs,
// the format of `docker save`, which `ctr images import`, `docker load` and
// `podman load` read. It needs no registry, no daemon and no root: a TKR
// build uses it to wrap the static binaries it compiled into the images
// kubeadm asks for, and the node image preloads them into containerd.
//
// An archive holds, for each image, its layers (tars named
// <diff-id>/layer.tar, or gzip-compressed ones named
// <blob-digest>/layer.tar.gz), its config (<config-digest>.json, an OCI image
// config) and an entry in manifest.json that ties a config, its layers and
// the image's names (RepoTags) together. Layers are generated
// deterministically from File lists (sorted, parents added, one fixed
// modification time), so equal inputs give byte-identical archives, and a
// layer that several images share is stored once.
package imagearchive
