using System.Globalization;

namespace LightNet.Profiling;

/// <summary>
/// Reads what the operating system exposes about the CPU while a sustained run goes on: the clock of every core
/// (<c>/sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq</c>, else <c>/proc/cpuinfo</c>), the hottest temperature
/// (<c>/sys/class/thermal/thermal_zone*/temp</c> and <c>/sys/class/hwmon/hwmon*/temp*_input</c>) and the package energy
/// counters of RAPL (<c>/sys/class/powercap/*-rapl:N/energy_uj</c>). Every read may fail (another OS, a container, a
/// permission): it then gives null and the sensor is listed in <see cref="Unavailable"/> with the reason; nothing throws.
/// </summary>
internal sealed class SystemSensors
{
    private readonly string _root;
    private readonly string[] _frequencyFiles;
    private readonly string[] _temperatureFiles;
    private readonly (string Energy, double RangeMicrojoules)[] _energyFiles;
    private readonly List<string> _unavailable = [];

    /// <summary>Finds the sensor files under <paramref name="root"/> ("/" on a real machine; a folder in tests).</summary>
    public SystemSensors(string root = "/")
    {
        _root = root;
        _frequencyFiles = Glob("sys/devices/system/cpu", "cpu*", "cpufreq/scaling_cur_freq")
            .Where(f => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(f)))?[3..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .ToArray();
        if (_frequencyFiles.Length == 0 && ReadCpuInfoMHz() is null)
        {
            _unavailable.Add("cpuMHz: neither /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq nor a 'cpu MHz' line in /proc/cpuinfo is readable here");
        }

        _temperatureFiles = [.. Glob("sys/class/thermal", "thermal_zone*", "temp"), .. GlobFiles("sys/class/hwmon", "hwmon*", "temp*_input")];
        if (_temperatureFiles.Length == 0 || TemperatureC() is null)
        {
            _unavailable.Add("temperatureC: no readable /sys/class/thermal/thermal_zone*/temp or /sys/class/hwmon/hwmon*/temp*_input");
        }

        _energyFiles = Glob("sys/class/powercap", "*-rapl:*", "energy_uj")
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f))!.Count(c => c == ':') == 1) // packages, not their sub-zones
            .Select(f => (f, ReadNumber(Path.Combine(Path.GetDirectoryName(f)!, "max_energy_range_uj")) ?? 0))
            .Where(p => ReadNumber(p.f) is not null)
            .ToArray();
        if (_energyFiles.Length == 0)
        {
            _unavailable.Add("watts: no readable RAPL energy counter in /sys/class/powercap (not exposed here, or readable by root only)");
        }
    }

    /// <summary>The sensors that cannot be read here, each with the reason.</summary>
    public IReadOnlyList<string> Unavailable => _unavailable;

    /// <summary>The clock of every core in MHz, or null when not readable.</summary>
    public double[]? CpuMHz()
    {
        if (_frequencyFiles.Length > 0)
        {
            double[] values = _frequencyFiles.Select(f => ReadNumber(f) is double khz ? khz / 1000 : double.NaN).Where(double.IsFinite).ToArray();
            return values.Length > 0 ? values : null;
        }

        return ReadCpuInfoMHz();
    }

    /// <summary>The hottest sensor in °C, or null when none is readable.</summary>
    public double? TemperatureC()
    {
        double? hottest = null;
        foreach (string file in _temperatureFiles)
        {
            // Millidegrees; a few drivers report -273 °C or absurd values for absent probes.
            if (ReadNumber(file) is double milli && milli / 1000 is > -40 and < 150 and var c)
            {
                hottest = Math.Max(hottest ?? double.MinValue, c);
            }
        }

        return hottest;
    }

    /// <summary>The package energy counters summed, in joules, with their wrap-around ranges; null when none is readable.</summary>
    public (double Joules, double RangeJoules)? EnergyJoules()
    {
        double sum = 0;
        double range = 0;
        int read = 0;
        foreach ((string file, double rangeUj) in _energyFiles)
        {
            if (ReadNumber(file) is double uj)
            {
                sum += uj / 1e6;
                range += rangeUj / 1e6;
                read++;
            }
        }

        return read > 0 ? (sum, range) : null;
    }

    /// <summary>Average power between two energy readings, allowing one wrap of the counter; null when either is missing.</summary>
    public static double? Watts((double Joules, double RangeJoules)? before, (double Joules, double RangeJoules)? after, double seconds)
    {
        if (before is not { } b || after is not { } a || seconds <= 0)
        {
            return null;
        }

        double joules = a.Joules - b.Joules;
        if (joules < 0 && a.RangeJoules > 0)
        {
            joules += a.RangeJoules;
        }

        return joules >= 0 ? joules / seconds : null;
    }

    /// <summary>
    /// The whole machine's CPU time from the first line of <c>/proc/stat</c> under <paramref name="root"/>, in clock
    /// ticks: the time the hypervisor ran other guests while this one had work ("steal"), and the total of user, nice,
    /// system, idle, iowait, irq, softirq and steal. Null where the file is not readable (not Linux) or has no steal
    /// column.
    /// </summary>
    public static (long Steal, long Total)? CpuTicks(string root = "/")
    {
        string? text = ReadText(Path.Combine(root, "proc/stat"));
        int end = text?.IndexOf('\n', StringComparison.Ordinal) ?? -1;
        string[] fields = (end >= 0 ? text![..end] : text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu")
        {
            return null;
        }

        long total = 0, steal = 0;
        for (int i = 1; i <= 8; i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out steal))
            {
                return null;
            }

            total += steal; // the last of the eight columns is the steal
        }

        return (steal, total);
    }

    private double[]? ReadCpuInfoMHz()
    {
        string? text = ReadText(Path.Combine(_root, "proc/cpuinfo"));
        if (text is null)
        {
            return null;
        }

        var values = new List<double>();
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == "cpu MHz"
                && double.TryParse(line[(colon + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz))
            {
                values.Add(mhz);
            }
        }

        return values.Count > 0 ? [.. values] : null;
    }

    private string[] Glob(string folder, string pattern, string file) =>
        Directories(folder, pattern).Select(d => Path.Combine(d, file)).Where(File.Exists).Order(StringComparer.Ordinal).ToArray();

    private string[] GlobFiles(string folder, string pattern, string filePattern) =>
        Directories(folder, pattern).SelectMany(d => Safe(() => Directory.GetFiles(d, filePattern))).Order(StringComparer.Ordinal).ToArray();

    private string[] Directories(string folder, string pattern) => Safe(() => Directory.GetDirectories(Path.Combine(_root, folder), pattern));

    private static string[] Safe(Func<string[]> list)
    {
        try
        {
            return list();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException or NotSupportedException or ArgumentException)
        {
            return [];
        }
    }

    private static double? ReadNumber(string path) =>
        ReadText(path) is string text && double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>
/// The share of the machine's CPU time the hypervisor gave to other guests (steal, <see cref="SystemSensors.CpuTicks"/>)
/// between <see cref="Start"/> and <see cref="Share"/>: on a shared virtual machine the timings of that span are not the
/// machine's own, and thread scaling least of all.
/// </summary>
internal readonly struct StealMeter
{
    private readonly string _root;
    private readonly (long Steal, long Total)? _start;

    private StealMeter(string root, (long Steal, long Total)? start)
    {
        _root = root;
        _start = start;
    }

    /// <summary>Reads the counters now (<paramref name="root"/> "/" on a real machine; a folder in tests).</summary>
    public static StealMeter Start(string root = "/") => new(root, SystemSensors.CpuTicks(root));

    /// <summary>The steal share since <see cref="Start"/>, 0 to 1; null where the counters cannot be read or did not advance.</summary>
    public double? Share() =>
        _start is { } a && _root is not null && SystemSensors.CpuTicks(_root) is { } b && b.Total > a.Total
            ? Math.Clamp((double)(b.Steal - a.Steal) / (b.Total - a.Total), 0, 1)
            : null;
}
