namespace LightNet.Conformance;

/// <summary>Where <see cref="ConformanceRunner"/> runs the cases.</summary>
public enum ConformanceIsolation
{
    /// <summary>
    /// In the calling process, one case after the other: fastest to start and what unit tests use, but a crash of native code
    /// or a stack overflow ends the caller too, and a hanging case is not stopped (<see cref="ConformanceOptions.CaseTimeout"/> is not enforced).
    /// </summary>
    InProcess,

    /// <summary>
    /// In a worker process per backend (<see cref="ConformanceOptions.WorkerCommand"/>), started once and restarted after a crash or a timeout:
    /// a crash or hang is recorded for the case in flight and the run continues with the next case.
    /// </summary>
    Isolated,
}
