package kube

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// clientsetAPI is API over a client-go clientset: the fake one, whose reactors these tests use
// to make the API server refuse. The cluster type itself is tested against a real
// kube-apiserver (TestLabNodes).
type clientsetAPI struct{ cs kubernetes.Interface }

func (c clientsetAPI) ListNodes(ctx context.Context, selector string) ([]corev1.Node, error) {
	l, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (c clientsetAPI) GetNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	return c.cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
}

func (c clientsetAPI) CreateNamespace(ctx context.Context, ns *corev1.Namespace) error {
	_, err := c.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	return err
}

func (c clientsetAPI) MergePatchNamespace(ctx context.Context, name string, patch []byte) error {
	_, err := c.cs.CoreV1().Namespaces().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

func (c clientsetAPI) CreateJob(ctx context.Context, job *batchv1.Job) error {
	_, err := c.cs.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{})
	return err
}

func (c clientsetAPI) ListJobs(ctx context.Context, namespace, selector string) ([]batchv1.Job, error) {
	l, err := c.cs.BatchV1().Jobs(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (c clientsetAPI) DeleteJobs(ctx context.Context, namespace, selector string) error {
	return c.cs.BatchV1().Jobs(namespace).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &background},
		metav1.ListOptions{LabelSelector: selector})
}

func (c clientsetAPI) DeleteJob(ctx context.Context, namespace, name string) error {
	return c.cs.BatchV1().Jobs(namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &background})
}

func (c clientsetAPI) ListPods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error) {
	l, err := c.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (c clientsetAPI) DeletePod(ctx context.Context, namespace, name string) error {
	return c.cs.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{})
}

func (c clientsetAPI) PodLog(ctx context.Context, namespace, pod, container string, limitBytes int64) ([]byte, error) {
	return c.cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, LimitBytes: &limitBytes}).DoRaw(ctx)
}
