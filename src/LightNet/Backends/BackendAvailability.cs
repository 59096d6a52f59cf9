namespace LightNet.Backends;

/// <summary>Whether a backend can run on this machine, and why not when it cannot.</summary>
/// <param name="IsAvailable">True when sessions can be created.</param>
/// <param name="Reason">For an unavailable backend, what is missing and what to install; for an available one, what was found.</param>
public sealed record BackendAvailability(bool IsAvailable, string Reason)
{
    /// <summary>An available backend.</summary>
    /// <param name="detail">What was found (device, version).</param>
    public static BackendAvailability Available(string detail) => new(true, detail ?? throw new ArgumentNullException(nameof(detail)));

    /// <summary>An unavailable backend.</summary>
    /// <param name="reason">What is missing and what to install, in plain words.</param>
    public static BackendAvailability Unavailable(string reason) => new(false, reason ?? throw new ArgumentNullException(nameof(reason)));

    /// <summary>
    /// False when the backend was not probed because probing would load native libraries (see
    /// <see cref="Backend.DescribeAvailability"/>); <see cref="IsAvailable"/> is then false and <see cref="Reason"/> says
    /// what was found on disk without loading it.
    /// </summary>
    public bool IsProbed { get; init; } = true;

    /// <summary>A backend that was not probed (listing it would have loaded native libraries).</summary>
    /// <param name="reason">Why it was not probed and what was found without loading anything.</param>
    public static BackendAvailability NotProbed(string reason) => new(false, reason ?? throw new ArgumentNullException(nameof(reason))) { IsProbed = false };
}
