package virtualmachine

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// cloudConfigHeader starts a cloud-config document.
const cloudConfigHeader = "#cloud-config"

// RenderCloudConfig turns the typed cloudConfig of a VirtualMachine (plus
// top-level SSH keys) into #cloud-config user data. secretValue resolves
// the Secret references the typed form may hold (passwords).
func RenderCloudConfig(cc *vmopv1.CloudConfig, sshKeys []string, secretValue func(vmopv1.SecretKeySelector) (string, error)) ([]byte, error) {
	doc := map[string]any{}
	if cc != nil {
		if cc.Timezone != "" {
			doc["timezone"] = cc.Timezone
		}
		if cc.SSHPwdAuth != nil {
			doc["ssh_pwauth"] = *cc.SSHPwdAuth
		}
		if len(cc.RunCmd) > 0 {
			var runcmd any
			if err := json.Unmarshal(cc.RunCmd, &runcmd); err != nil {
				return nil, fmt.Errorf("spec.bootstrap.cloudInit.cloudConfig.runcmd: %w", err)
			}
			doc["runcmd"] = runcmd
		}
		var users []any
		if cc.DefaultUserEnabled {
			users = append(users, "default")
		}
		for i, u := range cc.Users {
			m, err := toMap(u)
			if err != nil {
				return nil, err
			}
			for field, ref := range map[string]*vmopv1.SecretKeySelector{"hashed_passwd": u.HashedPasswd, "passwd": u.Passwd} {
				if ref == nil {
					continue
				}
				v, err := secretValue(*ref)
				if err != nil {
					return nil, fmt.Errorf("spec.bootstrap.cloudInit.cloudConfig.users[%d].%s: %w", i, field, err)
				}
				m[field] = v
			}
			users = append(users, m)
		}
		if len(users) > 0 {
			doc["users"] = users
		}
		var files []any
		for _, f := range cc.WriteFiles {
			m, err := toMap(f)
			if err != nil {
				return nil, err
			}
			if len(f.Content) > 0 {
				var content any
				if err := json.Unmarshal(f.Content, &content); err != nil {
					return nil, fmt.Errorf("spec.bootstrap.cloudInit.cloudConfig.write_files %s: %w", f.Path, err)
				}
				m["content"] = content
			}
			files = append(files, m)
		}
		if len(files) > 0 {
			doc["write_files"] = files
		}
	}
	if len(sshKeys) > 0 {
		doc["ssh_authorized_keys"] = sshKeys
	}
	body, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return append([]byte(cloudConfigHeader+"\n"), body...), nil
}

func toMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(data, &m)
}

// MetaData is the instance metadata handed to cloud-init, as guestinfo or
// a NoCloud seed would carry it.
func MetaData(instanceID, hostname string) []byte {
	data, _ := yaml.Marshal(map[string]string{"instance-id": instanceID, "local-hostname": hostname})
	return data
}
