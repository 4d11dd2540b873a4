// Package cloudinit is the guest agent's cloud-init: it reads a NoCloud
// seed (user-data, meta-data, network-config), parses the user data
// (#cloud-config, #! scripts, optionally gzip-compressed or a
// "## template: jinja" template) and applies it to a root directory the way
// cloud-init does, once per instance-id.
//
// The supported subset is what Kubernetes node bootstrap (Cluster API's
// kubeadm bootstrap provider) and simple VMs use: bootcmd, write_files,
// users and ssh_authorized_keys, hostname/fqdn/manage_etc_hosts, runcmd and
// final_message. Other modules are reported as warnings, not errors.
// Validate lets a controller reject malformed user data before a VM is
// created.
package cloudinit
