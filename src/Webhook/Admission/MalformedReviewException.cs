namespace Mesh.Webhook.Admission;

/// <summary>A request body that is not an admission.k8s.io AdmissionReview with a request and its uid: answered 400.</summary>
public sealed class MalformedReviewException(string message) : Exception(message);
