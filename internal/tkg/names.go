package tkg

const (
	// ClassName is the builtin ClusterClass every namespace can use, as on
	// vSphere 8.
	ClassName = "tanzukubernetescluster"
	// WorkerClass is the ClusterClass's only MachineDeployment class.
	WorkerClass = "node-pool"
)
