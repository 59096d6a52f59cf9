using System.Globalization;

namespace LightNet.Profiling;

/// <summary>
/// A two-sided confidence interval: the range <c>[Lower, Upper]</c> that covers the true value with
/// probability <see cref="Level"/> (0.95 for a 95% interval).
/// </summary>
/// <param name="Lower">The lower bound, in the unit of the estimate (milliseconds for latencies).</param>
/// <param name="Upper">The upper bound, in the unit of the estimate.</param>
/// <param name="Level">The coverage probability in [0, 1], for example 0.95.</param>
public readonly record struct ConfidenceInterval(double Lower, double Upper, double Level)
{
    /// <summary>The width of the interval, <c>Upper - Lower</c>.</summary>
    public double Width => Upper - Lower;

    /// <summary>Whether <paramref name="value"/> lies inside the interval, bounds included.</summary>
    /// <param name="value">The value to test.</param>
    /// <returns><see langword="true"/> when <c>Lower &lt;= value &lt;= Upper</c>.</returns>
    public bool Contains(double value) => value >= Lower && value <= Upper;
}

/// <summary>
/// Summary statistics of a series of latency measurements (one sample per timed run, in milliseconds),
/// with confidence intervals and a drift check that tells whether the machine stayed in a steady state
/// while it was measured. Build one with <see cref="FromSamples"/>.
/// </summary>
/// <remarks>
/// <para>
/// Percentiles use linear interpolation between closest ranks (Hyndman and Fan's definition 7, the default
/// of numpy, R and Excel's <c>PERCENTILE.INC</c>); see <see cref="Percentile"/>.
/// </para>
/// <para>
/// The mean's interval is Student's t interval with n − 1 degrees of freedom; the median's interval is
/// distribution-free, built from order statistics. Both are 95% intervals.
/// </para>
/// </remarks>
public sealed record LatencyStatistics
{
    /// <summary>The nominal coverage of the confidence intervals this type computes: 95%.</summary>
    public const double ConfidenceLevel = 0.95;

    /// <summary>
    /// The default drift threshold of <see cref="IsDriftSuspicious"/>: a 10% change of the median between
    /// the first and the last quarter of the run.
    /// </summary>
    public const double DefaultDriftThreshold = 1.10;

    /// <summary>The fewest samples for which <see cref="Drift"/> is measured; below it drift is 1.0.</summary>
    public const int MinimumSamplesForDrift = 8;

    /// <summary>
    /// The fewest samples for which an order-statistic interval of the median reaches 95% coverage; below it
    /// <see cref="MedianConfidenceInterval"/> is <c>[Min, Max]</c> with its lower, exact coverage.
    /// </summary>
    public const int MinimumSamplesForMedianInterval = 6;

    /// <summary>Above this many degrees of freedom the t quantile comes from the normal quantile's expansion.</summary>
    private const double LargeDegreesOfFreedom = 1000;

    private LatencyStatistics()
    {
    }

    /// <summary>The number of samples.</summary>
    public int Count { get; init; }

    /// <summary>The arithmetic mean, in milliseconds.</summary>
    public double Mean { get; init; }

    /// <summary>The sample standard deviation (divisor n − 1), in milliseconds; 0 for a single sample.</summary>
    public double StandardDeviation { get; init; }

    /// <summary>The standard error of the mean, <c>StandardDeviation / √Count</c>, in milliseconds.</summary>
    public double StandardError => Count > 1 ? StandardDeviation / Math.Sqrt(Count) : 0.0;

    /// <summary>The smallest sample, in milliseconds.</summary>
    public double Min { get; init; }

    /// <summary>The largest sample, in milliseconds.</summary>
    public double Max { get; init; }

    /// <summary>The median (the 50th percentile, <see cref="Percentile"/> at 0.5), in milliseconds.</summary>
    public double Median { get; init; }

    /// <summary>The 90th percentile (see <see cref="Percentile"/>), in milliseconds.</summary>
    public double P90 { get; init; }

    /// <summary>The 95th percentile (see <see cref="Percentile"/>), in milliseconds.</summary>
    public double P95 { get; init; }

    /// <summary>The 99th percentile (see <see cref="Percentile"/>), in milliseconds.</summary>
    public double P99 { get; init; }

    /// <summary>
    /// The 95% confidence interval of the mean, in milliseconds: <c>Mean ± t(0.975, n − 1) · s / √n</c> with
    /// Student's t quantile (see <see cref="StudentTQuantile"/>), the lower bound clamped at 0; <c>[Mean, Mean]</c> for a single sample.
    /// <see cref="ConfidenceInterval.Level"/> is 0.95.
    /// </summary>
    public ConfidenceInterval MeanConfidenceInterval { get; init; }

    /// <summary>
    /// The distribution-free confidence interval of the median, in milliseconds: the order statistics
    /// <c>x(j)</c> and <c>x(n − j + 1)</c> of the sorted samples, with the largest rank j whose coverage
    /// <c>1 − 2·P(B ≤ j − 1)</c>, B ~ Binomial(n, 0.5), is at least 95% (for n = 20: ranks 6 and 15).
    /// <see cref="ConfidenceInterval.Level"/> is that exact coverage, which is at least 0.95.
    /// </summary>
    /// <remarks>
    /// With fewer than <see cref="MinimumSamplesForMedianInterval"/> (6) samples no pair of order statistics
    /// reaches 95%; the interval is then <c>[Min, Max]</c> and its level the lower exact coverage
    /// <c>1 − 2^(1 − n)</c> (0.9375 for 5 samples, 0 for 1).
    /// </remarks>
    public ConfidenceInterval MedianConfidenceInterval { get; init; }

    /// <summary>
    /// The coefficient of variation, <c>StandardDeviation / Mean</c> (a fraction: 0.05 is 5%); 0 when the
    /// mean is 0.
    /// </summary>
    public double CoefficientOfVariation { get; init; }

    /// <summary>
    /// The median of the last quarter of the samples (in the order they were measured) divided by the median
    /// of the first quarter. 1.0 is a steady machine; above 1 it got slower during the run (thermal
    /// throttling, a noisy neighbour), below 1 it got faster (warm-up not finished). It is 1.0 when there are
    /// fewer than <see cref="MinimumSamplesForDrift"/> (8) samples, and +∞ when the first quarter's median
    /// is 0 and the last quarter's is not.
    /// </summary>
    public double Drift { get; init; }

    /// <summary>
    /// Whether <see cref="Drift"/> shows the run was not steady: the last quarter's median is more than
    /// <paramref name="threshold"/> times the first quarter's, or less than <c>1 / threshold</c> times it.
    /// </summary>
    /// <param name="threshold">
    /// The largest acceptable ratio, at least 1; the default <see cref="DefaultDriftThreshold"/> (1.10)
    /// accepts a 10% change.
    /// </param>
    /// <returns><see langword="true"/> when the drift is beyond the threshold in either direction.</returns>
    /// <exception cref="LightNetException">
    /// <see cref="ErrorCode.InvalidArgument"/> when <paramref name="threshold"/> is not a finite number ≥ 1.
    /// </exception>
    public bool IsDriftSuspicious(double threshold = DefaultDriftThreshold)
    {
        if (!double.IsFinite(threshold) || threshold < 1.0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"threshold must be a finite ratio >= 1 (1.10 accepts a 10% drift), got {Format(threshold)}.");
        }

        return Drift > threshold || Drift < 1.0 / threshold;
    }

    /// <summary>Computes the statistics of a series of latency samples.</summary>
    /// <param name="milliseconds">
    /// The samples in the order they were measured (the order matters for <see cref="Drift"/> only), each a
    /// finite number ≥ 0. The span is not modified.
    /// </param>
    /// <returns>The statistics.</returns>
    /// <exception cref="LightNetException">
    /// <see cref="ErrorCode.InvalidArgument"/> when <paramref name="milliseconds"/> is empty or holds a NaN,
    /// infinite or negative value.
    /// </exception>
    public static LatencyStatistics FromSamples(ReadOnlySpan<double> milliseconds)
    {
        if (milliseconds.IsEmpty)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "milliseconds must contain at least one sample.");
        }

        for (int i = 0; i < milliseconds.Length; i++)
        {
            double v = milliseconds[i];
            if (!double.IsFinite(v) || v < 0.0)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"milliseconds[{i}] is {Format(v)}; latency samples must be finite and >= 0.");
            }
        }

        int n = milliseconds.Length;
        double[] sorted = milliseconds.ToArray();
        Array.Sort(sorted);

        // Two passes: the mean, then the corrected sum of squared deviations (stable for large offsets).
        double sum = 0.0;
        foreach (double v in milliseconds)
        {
            sum += v;
        }

        double mean = sum / n;
        double sumSquares = 0.0;
        double sumDeviations = 0.0;
        foreach (double v in milliseconds)
        {
            double d = v - mean;
            sumSquares += d * d;
            sumDeviations += d;
        }

        double variance = n > 1 ? Math.Max(0.0, (sumSquares - sumDeviations * sumDeviations / n) / (n - 1)) : 0.0;
        double std = Math.Sqrt(variance);

        ConfidenceInterval meanInterval;
        if (n == 1)
        {
            meanInterval = new ConfidenceInterval(mean, mean, ConfidenceLevel);
        }
        else
        {
            double half = StudentTQuantile(0.5 + ConfidenceLevel / 2.0, n - 1) * std / Math.Sqrt(n);
            // Latencies cannot be negative: a few very noisy samples would otherwise give a lower bound below 0.
            meanInterval = new ConfidenceInterval(Math.Max(0.0, mean - half), mean + half, ConfidenceLevel);
        }

        var (lowerRank, upperRank, coverage) = MedianIntervalRanks(n);

        return new LatencyStatistics
        {
            Count = n,
            Mean = mean,
            StandardDeviation = std,
            Min = sorted[0],
            Max = sorted[n - 1],
            Median = Percentile(sorted, 0.50),
            P90 = Percentile(sorted, 0.90),
            P95 = Percentile(sorted, 0.95),
            P99 = Percentile(sorted, 0.99),
            MeanConfidenceInterval = meanInterval,
            MedianConfidenceInterval = new ConfidenceInterval(sorted[lowerRank - 1], sorted[upperRank - 1], coverage),
            CoefficientOfVariation = mean > 0.0 ? std / mean : 0.0,
            Drift = ComputeDrift(milliseconds),
        };
    }

    /// <summary>
    /// The <paramref name="p"/>-quantile of sorted samples by linear interpolation between closest ranks
    /// (Hyndman and Fan's definition 7, numpy's default): with <c>h = (n − 1)·p</c>, the result is
    /// <c>x[⌊h⌋] + (h − ⌊h⌋)·(x[⌈h⌉] − x[⌊h⌋])</c> (0-based indices). For 1..10, p = 0.9 gives 9.1.
    /// </summary>
    /// <param name="sortedAscending">The samples sorted in ascending order, at least one, no NaN.</param>
    /// <param name="p">The probability in [0, 1] (0.5 for the median, 0.99 for P99).</param>
    /// <returns>The interpolated quantile, in the unit of the samples.</returns>
    /// <exception cref="LightNetException">
    /// <see cref="ErrorCode.InvalidArgument"/> when <paramref name="sortedAscending"/> is empty, holds a NaN
    /// or is not sorted, or <paramref name="p"/> is outside [0, 1].
    /// </exception>
    public static double Percentile(ReadOnlySpan<double> sortedAscending, double p)
    {
        if (sortedAscending.IsEmpty)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "sortedAscending must contain at least one value.");
        }

        if (!(p >= 0.0 && p <= 1.0))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"p must be a probability in [0, 1] (0.99 for P99), got {Format(p)}.");
        }

        if (double.IsNaN(sortedAscending[0]))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "sortedAscending[0] is NaN.");
        }

        for (int i = 1; i < sortedAscending.Length; i++)
        {
            if (!(sortedAscending[i] >= sortedAscending[i - 1]))
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"sortedAscending must be sorted in ascending order without NaN: sortedAscending[{i}] = " +
                    $"{Format(sortedAscending[i])} follows {Format(sortedAscending[i - 1])}.");
            }
        }

        int n = sortedAscending.Length;
        double h = (n - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, n - 1);
        double lower = sortedAscending[lo];
        double upper = sortedAscending[hi];
        double fraction = h - lo;
        return fraction == 0.0 ? lower : lower + fraction * (upper - lower);
    }

    /// <summary>
    /// The 95% confidence interval of the ratio of two means, <c>numerator.Mean / denominator.Mean</c>, for
    /// independent samples: the speed-up of a candidate over a baseline is
    /// <c>RatioConfidenceInterval(baseline, candidate)</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Fieller's interval: the ratios R for which <c>(a − R·b)² ≤ t²·(sa² + R²·sb²)</c>, where a and b are the
    /// means, sa and sb their standard errors and t Student's 0.975 quantile with the Welch–Satterthwaite
    /// degrees of freedom of <c>a − R·b</c> at the point estimate. When the denominator's mean is well
    /// determined (<c>g = t²·sb²/b²</c> small) it is the delta-method interval
    /// <c>R ± t·√(sa² + R²·sb²) / b</c>, slightly skewed upwards as a ratio should be.
    /// </para>
    /// <para>
    /// Latencies are ≥ 0, so the lower bound is clamped at 0. When <c>g ≥ 1</c> (the denominator's mean is not
    /// significantly different from 0) the interval is unbounded: <c>[0, +∞]</c>. When both series have no
    /// spread (or one sample each) the interval is the point <c>[R, R]</c>. The level is 0.95.
    /// </para>
    /// </remarks>
    /// <param name="numerator">The statistics of the numerator's samples (the baseline for a speed-up).</param>
    /// <param name="denominator">The statistics of the denominator's samples; its mean must be above 0.</param>
    /// <returns>The interval of the ratio of the means.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when <paramref name="denominator"/>'s mean is 0.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="numerator"/> or <paramref name="denominator"/> is null.</exception>
    public static ConfidenceInterval RatioConfidenceInterval(LatencyStatistics numerator, LatencyStatistics denominator)
    {
        ArgumentNullException.ThrowIfNull(numerator);

        ArgumentNullException.ThrowIfNull(denominator);

        if (!(denominator.Mean > 0.0))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                "denominator.Mean is 0; the ratio of the means is undefined.");
        }

        double a = numerator.Mean;
        double b = denominator.Mean;
        double ratio = a / b;
        double va = numerator.StandardError * numerator.StandardError;
        double vb = denominator.StandardError * denominator.StandardError;
        if (va == 0.0 && vb == 0.0)
        {
            return new ConfidenceInterval(ratio, ratio, ConfidenceLevel);
        }

        // Welch–Satterthwaite degrees of freedom of a − R·b at the point estimate R.
        double combined = va + ratio * ratio * vb;
        double dfDenominator = 0.0;
        if (numerator.Count > 1)
        {
            dfDenominator += va * va / (numerator.Count - 1);
        }

        if (denominator.Count > 1)
        {
            dfDenominator += ratio * ratio * ratio * ratio * vb * vb / (denominator.Count - 1);
        }

        double df = dfDenominator > 0.0 ? combined * combined / dfDenominator : double.PositiveInfinity;
        double t = StudentTQuantile(0.5 + ConfidenceLevel / 2.0, df);
        double t2 = t * t;

        double quadratic = b * b - t2 * vb;
        if (quadratic <= 0.0)
        {
            return new ConfidenceInterval(0.0, double.PositiveInfinity, ConfidenceLevel);
        }

        double discriminant = Math.Max(0.0, va * b * b + vb * a * a - t2 * va * vb);
        double root = t * Math.Sqrt(discriminant);
        double lower = (a * b - root) / quadratic;
        double upper = (a * b + root) / quadratic;
        return new ConfidenceInterval(Math.Max(0.0, lower), upper, ConfidenceLevel);
    }

    /// <summary>
    /// The quantile of Student's t distribution: the t with <c>P(T ≤ t) = probability</c> for
    /// <paramref name="degreesOfFreedom"/> degrees of freedom (t(0.975, 9) = 2.262157).
    /// </summary>
    /// <remarks>
    /// One and two degrees of freedom have closed forms. Up to 1000 degrees of freedom the t distribution
    /// function, <c>P(T &gt; t) = I_x(ν/2, 1/2) / 2</c> with <c>x = ν / (ν + t²)</c> (the regularized incomplete
    /// beta function, evaluated by its continued fraction), is inverted by safeguarded Newton iteration to
    /// near machine precision. Above 1000 the Cornish–Fisher expansion around the normal quantile
    /// (Abramowitz and Stegun 26.7.5, four terms, error below 1e-12 there) is used, and +∞ gives the normal
    /// quantile itself.
    /// </remarks>
    /// <param name="probability">The cumulative probability, strictly between 0 and 1 (0.975 for a 95% interval).</param>
    /// <param name="degreesOfFreedom">The degrees of freedom, &gt; 0 (need not be an integer; may be +∞).</param>
    /// <returns>The quantile.</returns>
    /// <exception cref="LightNetException">
    /// <see cref="ErrorCode.InvalidArgument"/> when <paramref name="probability"/> is not in (0, 1) or
    /// <paramref name="degreesOfFreedom"/> is not &gt; 0.
    /// </exception>
    public static double StudentTQuantile(double probability, double degreesOfFreedom)
    {
        if (!(probability > 0.0 && probability < 1.0))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"probability must be strictly between 0 and 1, got {Format(probability)}.");
        }

        if (!(degreesOfFreedom > 0.0))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"degreesOfFreedom must be > 0, got {Format(degreesOfFreedom)}.");
        }

        if (probability == 0.5)
        {
            return 0.0;
        }

        // The upper tail of |T|: t is found for the tail q and given the sign of probability − 0.5.
        double q = probability < 0.5 ? probability : 1.0 - probability;
        double t;
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            t = -NormalQuantile(q);
        }
        else if (degreesOfFreedom > LargeDegreesOfFreedom)
        {
            t = CornishFisherT(-NormalQuantile(q), degreesOfFreedom);
        }
        else if (degreesOfFreedom == 1.0)
        {
            t = 1.0 / Math.Tan(Math.PI * q);
        }
        else if (degreesOfFreedom == 2.0)
        {
            t = (1.0 - 2.0 * q) / Math.Sqrt(2.0 * q * (1.0 - q));
        }
        else
        {
            t = InvertStudentTUpperTail(q, degreesOfFreedom);
        }

        return probability < 0.5 ? -t : t;
    }

    /// <summary>
    /// The quantile of the standard normal distribution: the z with <c>Φ(z) = probability</c>
    /// (z(0.975) = 1.959964), by Wichura's algorithm AS 241 (relative accuracy about 1e-16).
    /// </summary>
    /// <param name="probability">The cumulative probability, strictly between 0 and 1.</param>
    /// <returns>The quantile.</returns>
    /// <exception cref="LightNetException">
    /// <see cref="ErrorCode.InvalidArgument"/> when <paramref name="probability"/> is not in (0, 1).
    /// </exception>
    public static double NormalQuantile(double probability)
    {
        if (!(probability > 0.0 && probability < 1.0))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"probability must be strictly between 0 and 1, got {Format(probability)}.");
        }

        double q = probability - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            double r = 0.180625 - q * q;
            return q * (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r
                                + 6.7265770927008700853e+4) * r + 4.5921953931549871457e+4) * r
                                + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r
                                + 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0)
                     / (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r
                                + 3.9307895800092710610e+4) * r + 2.1213794301586595867e+4) * r
                                + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r
                                + 4.2313330701600911252e+1) * r + 1.0);
        }

        double tail = q < 0.0 ? probability : 1.0 - probability;
        double s = Math.Sqrt(-Math.Log(tail));
        double value;
        if (s <= 5.0)
        {
            s -= 1.6;
            value = (((((((7.74545014278341407640e-4 * s + 2.27238449892691845833e-2) * s
                            + 2.41780725177450611770e-1) * s + 1.27045825245236838258e+0) * s
                            + 3.64784832476320460504e+0) * s + 5.76949722146069140550e+0) * s
                            + 4.63033784615654529590e+0) * s + 1.42343711074968357734e+0)
                    / (((((((1.05075007164441684324e-9 * s + 5.47593808499534494600e-4) * s
                            + 1.51986665636164571966e-2) * s + 1.48103976427480074590e-1) * s
                            + 6.89767334985100004550e-1) * s + 1.67638483018380384940e+0) * s
                            + 2.05319162663775882187e+0) * s + 1.0);
        }
        else
        {
            s -= 5.0;
            value = (((((((2.01033439929228813265e-7 * s + 2.71155556874348757815e-5) * s
                            + 1.24266094738807843860e-3) * s + 2.65321895265761230930e-2) * s
                            + 2.96560571828504891230e-1) * s + 1.78482653991729133580e+0) * s
                            + 5.46378491116411436990e+0) * s + 6.65790464350110377720e+0)
                    / (((((((2.04426310338993978564e-15 * s + 1.42151175831644588870e-7) * s
                            + 1.84631831751005468180e-5) * s + 7.86869131145613259100e-4) * s
                            + 1.48753612908506148525e-2) * s + 1.36929880922735805310e-1) * s
                            + 5.99832206555887937690e-1) * s + 1.0);
        }

        return q < 0.0 ? -value : value;
    }

    /// <summary>
    /// The 1-based ranks j and k = n − j + 1 of the order statistics that bound the median's interval, and
    /// their exact coverage <c>1 − 2·P(B ≤ j − 1)</c> for B ~ Binomial(n, 0.5): j is the largest rank with
    /// <c>P(B ≤ j − 1) ≤ 0.025</c>, or 1 when none qualifies (n &lt; 6).
    /// </summary>
    internal static (int LowerRank, int UpperRank, double Coverage) MedianIntervalRanks(int count)
    {
        double alphaHalf = (1.0 - ConfidenceLevel) / 2.0;

        // P(B = i) in log space so that 2^-n does not underflow for large n.
        double logPmf = -count * Math.Log(2.0);
        double cdf = Math.Exp(logPmf);
        int lastBelow = -1;
        double cdfAtLastBelow = cdf;
        for (int i = 0; i < count / 2 && cdf <= alphaHalf; i++)
        {
            lastBelow = i;
            cdfAtLastBelow = cdf;
            logPmf += Math.Log(count - i) - Math.Log(i + 1);
            cdf += Math.Exp(logPmf);
        }

        // Rank j = m + 1 for the largest m with P(B <= m) <= 0.025; [Min, Max] (j = 1) when there is none.
        int lower = Math.Max(1, lastBelow + 1);
        return (lower, count - lower + 1, 1.0 - 2.0 * cdfAtLastBelow);
    }

    /// <summary>P(T &gt; t) for Student's t with <paramref name="degreesOfFreedom"/> degrees of freedom.</summary>
    internal static double StudentTUpperTail(double t, double degreesOfFreedom)
    {
        if (t < 0.0)
        {
            return 1.0 - StudentTUpperTail(-t, degreesOfFreedom);
        }

        double t2 = t * t;
        double x = degreesOfFreedom / (degreesOfFreedom + t2);
        double y = t2 / (degreesOfFreedom + t2);
        return 0.5 * RegularizedIncompleteBeta(degreesOfFreedom / 2.0, 0.5, x, y);
    }

    /// <summary>
    /// Solves <c>P(T &gt; t) = upperTail</c> for t ≥ 0 (0 &lt; upperTail &lt; 0.5) by Newton's method kept
    /// inside a bisection bracket.
    /// </summary>
    internal static double InvertStudentTUpperTail(double upperTail, double degreesOfFreedom)
    {
        double guess = CornishFisherT(-NormalQuantile(upperTail), degreesOfFreedom);
        double lo = 0.0;
        double hi = Math.Max(guess, 1.0);
        while (StudentTUpperTail(hi, degreesOfFreedom) > upperTail && hi < 1e300)
        {
            lo = hi;
            hi *= 2.0;
        }

        double t = guess > lo && guess < hi ? guess : 0.5 * (lo + hi);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            double difference = StudentTUpperTail(t, degreesOfFreedom) - upperTail;
            if (difference == 0.0)
            {
                return t;
            }

            if (difference > 0.0)
            {
                lo = t;
            }
            else
            {
                hi = t;
            }

            // The tail falls as t grows: its derivative is minus the density.
            double next = t + difference / StudentTDensity(t, degreesOfFreedom);
            if (!(next > lo && next < hi))
            {
                next = 0.5 * (lo + hi);
            }

            if (Math.Abs(next - t) <= 1e-15 * next || hi - lo <= 1e-15 * hi)
            {
                return next;
            }

            t = next;
        }

        return t;
    }

    /// <summary>
    /// The Cornish–Fisher expansion of Student's t quantile around the normal quantile
    /// <paramref name="z"/> (Abramowitz and Stegun 26.7.5), accurate for many degrees of freedom.
    /// </summary>
    internal static double CornishFisherT(double z, double degreesOfFreedom)
    {
        double z2 = z * z;
        double g1 = (z2 + 1.0) * z / 4.0;
        double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
        double v = degreesOfFreedom;
        return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
    }

    private static double StudentTDensity(double t, double degreesOfFreedom)
    {
        double v = degreesOfFreedom;
        double logDensity = LogGamma((v + 1.0) / 2.0) - LogGamma(v / 2.0) - 0.5 * Math.Log(v * Math.PI)
            - (v + 1.0) / 2.0 * Math.Log(1.0 + t * t / v);
        return Math.Exp(logDensity);
    }

    /// <summary>
    /// The regularized incomplete beta function I_x(a, b), with <paramref name="y"/> = 1 − x given separately
    /// so that neither loses precision near 1.
    /// </summary>
    internal static double RegularizedIncompleteBeta(double a, double b, double x, double y)
    {
        if (x <= 0.0)
        {
            return 0.0;
        }

        if (y <= 0.0)
        {
            return 1.0;
        }

        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(y));
        return x < (a + 1.0) / (a + b + 2.0)
            ? front * BetaContinuedFraction(a, b, x) / a
            : 1.0 - front * BetaContinuedFraction(b, a, y) / b;
    }

    /// <summary>The continued fraction of the incomplete beta function, by the modified Lentz method.</summary>
    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double tiny = 1e-300;
        const double epsilon = 1e-16;
        double qab = a + b;
        double qap = a + 1.0;
        double qam = a - 1.0;
        double c = 1.0;
        double d = 1.0 - qab * x / qap;
        if (Math.Abs(d) < tiny)
        {
            d = tiny;
        }

        d = 1.0 / d;
        double h = d;
        for (int m = 1; m <= 10_000; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1.0 + aa * d;
            if (Math.Abs(d) < tiny)
            {
                d = tiny;
            }

            c = 1.0 + aa / c;
            if (Math.Abs(c) < tiny)
            {
                c = tiny;
            }

            d = 1.0 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1.0 + aa * d;
            if (Math.Abs(d) < tiny)
            {
                d = tiny;
            }

            c = 1.0 + aa / c;
            if (Math.Abs(c) < tiny)
            {
                c = tiny;
            }

            d = 1.0 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1.0) <= epsilon)
            {
                break;
            }
        }

        return h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 by the Lanczos approximation (g = 7, 9 terms; about 15 significant digits).</summary>
    private static double LogGamma(double x)
    {
        if (x < 0.5)
        {
            // Reflection: Γ(x)·Γ(1 − x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1.0 - x);
        }

        ReadOnlySpan<double> coefficients =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7,
        ];

        x -= 1.0;
        double sum = coefficients[0];
        for (int i = 1; i < coefficients.Length; i++)
        {
            sum += coefficients[i] / (x + i);
        }

        double t = x + 7.5;
        return 0.5 * Math.Log(2.0 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    private static double ComputeDrift(ReadOnlySpan<double> samples)
    {
        if (samples.Length < MinimumSamplesForDrift)
        {
            return 1.0;
        }

        int quarter = samples.Length / 4;
        double[] first = samples[..quarter].ToArray();
        double[] last = samples[^quarter..].ToArray();
        Array.Sort(first);
        Array.Sort(last);
        double firstMedian = Percentile(first, 0.5);
        double lastMedian = Percentile(last, 0.5);
        if (firstMedian == 0.0)
        {
            return lastMedian == 0.0 ? 1.0 : double.PositiveInfinity;
        }

        return lastMedian / firstMedian;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
