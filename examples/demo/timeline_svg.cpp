#include "timeline_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace demo {

namespace {

using fluxgate::State;

// Layout, in SVG user units.
constexpr double kWidth = 1000;
constexpr double kHeight = 600;
constexpr double kLeft = 100;
constexpr double kLabelX = 10;
constexpr double kRight = 30;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPhaseTop = 66;
constexpr double kStateTop = 98;
constexpr double kBandHeight = 26;
constexpr double kRatesTop = 146;
constexpr double kRatesHeight = 150;
constexpr double kCallsTop = 326;
constexpr double kCallsHeight = 160;
constexpr double kAxisY = kCallsTop + kCallsHeight;

std::string_view phase_colour(PhaseKind kind) {
    switch (kind) {
        case PhaseKind::healthy: return "#66bb6a";
        case PhaseKind::errors: return "#fb8c00";
        case PhaseKind::slow: return "#fdd835";
        case PhaseKind::down: return "#b71c1c";
        case PhaseKind::recovered: return "#43a047";
    }
    return "#9e9e9e";
}

std::string_view state_colour(State state) {
    switch (state) {
        case State::closed: return "#2e7d32";
        case State::open: return "#d32f2f";
        case State::half_open: return "#f9a825";
        default: return "#757575";
    }
}

constexpr std::string_view kSucceededColour = "#81c784";
constexpr std::string_view kClientErrorColour = "#bdbdbd";
constexpr std::string_view kFailedColour = "#e53935";
constexpr std::string_view kRejectedColour = "#5c6bc0";
constexpr std::string_view kFailureRateColour = "#c62828";
constexpr std::string_view kSlowRateColour = "#ef6c00";

std::string escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

class Canvas {
public:
    explicit Canvas(double duration_s) : duration_s_(duration_s) {}

    [[nodiscard]] double x(double t_s) const { return kLeft + std::clamp(t_s / duration_s_, 0.0, 1.0) * kPlotWidth; }

    void rect(double x, double y, double width, double height, std::string_view fill, std::string_view extra = "") {
        out_ += "<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(std::max(width, 0.0)) +
                "\" height=\"" + number(std::max(height, 0.0)) + "\" fill=\"" + std::string(fill) + "\"" +
                std::string(extra) + "/>\n";
    }

    void line(double x1, double y1, double x2, double y2, std::string_view stroke, std::string_view extra = "") {
        out_ += "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) + "\" y2=\"" +
                number(y2) + "\" stroke=\"" + std::string(stroke) + "\"" + std::string(extra) + "/>\n";
    }

    void text(double x, double y, std::string_view content, std::string_view extra = "") {
        out_ += "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\"" + std::string(extra) + ">" +
                escape(content) + "</text>\n";
    }

    void raw(std::string_view content) { out_ += content; }

    [[nodiscard]] const std::string& str() const noexcept { return out_; }

private:
    double duration_s_;
    std::string out_;
};

// Draws a labelled band; the label is shown only where it fits.
void band(Canvas& canvas, double start_s, double end_s, double top, std::string_view colour, std::string_view label,
          std::string_view label_colour) {
    const double x1 = canvas.x(start_s);
    const double x2 = canvas.x(end_s);
    // A HALF_OPEN period can last a few milliseconds: keep it visible.
    const double width = std::max(x2 - x1, 1.5);
    canvas.rect(x1, top, width, kBandHeight, colour);
    if (width >= 7.0 * static_cast<double>(label.size()) + 6) {
        canvas.text(x1 + width / 2, top + 17, label,
                    " text-anchor=\"middle\" font-size=\"12\" fill=\"" + std::string(label_colour) + "\"");
    }
}

void draw_bands(Canvas& canvas, const Scenario& scenario, const Summary& summary) {
    canvas.text(kLabelX, kPhaseTop + 17, "upstream", " font-size=\"12\"");
    for (const Phase& phase : scenario.phases) {
        const std::string_view ink = phase.kind == PhaseKind::slow ? "#212121" : "#ffffff";
        band(canvas, phase.start_s, phase.end_s, kPhaseTop, phase_colour(phase.kind), to_string(phase.kind), ink);
    }

    canvas.text(kLabelX, kStateTop + 17, "breaker", " font-size=\"12\"");
    State state = State::closed;
    double since_s = 0;
    const auto close_segment = [&](double until_s) {
        const std::string_view ink = state == State::half_open ? "#212121" : "#ffffff";
        band(canvas, since_s, until_s, kStateTop, state_colour(state), fluxgate::to_string(state), ink);
    };
    for (const Transition& transition : summary.transitions) {
        close_segment(transition.at_s);
        state = transition.to;
        since_s = transition.at_s;
    }
    close_segment(summary.elapsed_s);
}

void draw_phase_boundaries(Canvas& canvas, const Scenario& scenario) {
    for (std::size_t i = 1; i < scenario.phases.size(); ++i) {
        const double x = canvas.x(scenario.phases[i].start_s);
        canvas.line(x, kPhaseTop, x, kAxisY, "#9e9e9e", " stroke-dasharray=\"3,3\"");
    }
}

// Returns the height of a rate in [0, 1], leaving a margin above 100% so
// that a line at 100% does not hide in the chart's border.
double rate_y(double rate) {
    constexpr double kMargin = 8;
    return kRatesTop + kMargin + (kRatesHeight - kMargin) * (1.0 - rate);
}

// Draws one rate as a polyline broken wherever the window was empty.
void draw_rate(Canvas& canvas, const std::vector<Sample>& samples, std::optional<double> Sample::*rate,
               std::string_view colour, std::string_view dash) {
    std::string path;
    bool drawing = false;
    for (const Sample& sample : samples) {
        const std::optional<double>& value = sample.*rate;
        if (!value) {
            drawing = false;
            continue;
        }
        const double y = rate_y(*value);
        path += (drawing ? " L" : " M") + number(canvas.x(sample.at_s)) + " " + number(y);
        drawing = true;
    }
    if (!path.empty()) {
        canvas.raw("<path d=\"" + path + "\" fill=\"none\" stroke=\"" + std::string(colour) +
                   "\" stroke-width=\"1.8\"" + std::string(dash) + "/>\n");
    }
}

void draw_rates(Canvas& canvas, const Scenario& scenario, const Recorder& recorder) {
    canvas.rect(kLeft, kRatesTop, kPlotWidth, kRatesHeight, "#fafafa", " stroke=\"#e0e0e0\"");
    canvas.text(kLabelX, kRatesTop + kRatesHeight / 2 - 2, "window", " font-size=\"12\"");
    canvas.text(kLabelX, kRatesTop + kRatesHeight / 2 + 12, "rates", " font-size=\"12\"");
    for (double level : {0.0, 0.5, 1.0}) {
        const double y = rate_y(level);
        canvas.line(kLeft, y, kLeft + kPlotWidth, y, "#e0e0e0");
        canvas.text(kLeft - 5, y + 4, std::to_string(std::lround(level * 100)) + "%",
                    " text-anchor=\"end\" font-size=\"10\" fill=\"#616161\"");
    }
    const double threshold_y = rate_y(scenario.failure_rate);
    canvas.line(kLeft, threshold_y, kLeft + kPlotWidth, threshold_y, "#424242", " stroke-dasharray=\"2,4\"");
    canvas.text(kLeft + kPlotWidth - 4, threshold_y - 4, "trip threshold",
                " text-anchor=\"end\" font-size=\"10\" fill=\"#424242\"");

    draw_rate(canvas, recorder.samples(), &Sample::slow_rate, kSlowRateColour, " stroke-dasharray=\"5,3\"");
    draw_rate(canvas, recorder.samples(), &Sample::failure_rate, kFailureRateColour, "");
}

void draw_calls(Canvas& canvas, const Recorder& recorder, const Summary& summary) {
    const auto seconds = std::min(recorder.seconds(), static_cast<std::size_t>(std::ceil(summary.elapsed_s)));
    std::int64_t peak = 1;
    for (std::size_t s = 0; s < seconds; ++s) {
        peak = std::max(peak, recorder.second(s).total());
    }
    // Round the scale up to a multiple of 10 calls.
    const double scale_max = static_cast<double>((peak + 9) / 10 * 10);

    canvas.rect(kLeft, kCallsTop, kPlotWidth, kCallsHeight, "#fafafa", " stroke=\"#e0e0e0\"");
    canvas.text(kLabelX, kCallsTop + kCallsHeight / 2 - 2, "calls per", " font-size=\"12\"");
    canvas.text(kLabelX, kCallsTop + kCallsHeight / 2 + 12, "second", " font-size=\"12\"");
    for (double level : {0.5, 1.0}) {
        const double y = kCallsTop + kCallsHeight * (1.0 - level);
        canvas.line(kLeft, y, kLeft + kPlotWidth, y, "#e0e0e0");
        canvas.text(kLeft - 5, y + 4, std::to_string(std::lround(scale_max * level)),
                    " text-anchor=\"end\" font-size=\"10\" fill=\"#616161\"");
    }

    const double bar_width = std::max(canvas.x(1.0) - canvas.x(0.0) - 2.0, 1.0);
    for (std::size_t s = 0; s < seconds; ++s) {
        const OutcomeCounts counts = recorder.second(s);
        double bottom = kAxisY;
        const auto stack = [&](std::int64_t count, std::string_view colour) {
            const double height = kCallsHeight * static_cast<double>(count) / scale_max;
            bottom -= height;
            canvas.rect(canvas.x(static_cast<double>(s)) + 1.0, bottom, bar_width, height, colour);
        };
        stack(counts[Outcome::succeeded], kSucceededColour);
        stack(counts[Outcome::client_error], kClientErrorColour);
        stack(counts.failed(), kFailedColour);
        stack(counts.rejected(), kRejectedColour);
    }
}

void draw_axis(Canvas& canvas, const Scenario& scenario) {
    canvas.line(kLeft, kAxisY, kLeft + kPlotWidth, kAxisY, "#424242");
    double step = 5;
    if (scenario.duration_s > 120) {
        step = 30;
    } else if (scenario.duration_s > 60) {
        step = 10;
    }
    for (double t = 0; t <= scenario.duration_s + 1e-9; t += step) {
        const double x = canvas.x(t);
        canvas.line(x, kAxisY, x, kAxisY + 5, "#424242");
        canvas.text(x, kAxisY + 18, std::to_string(std::lround(t)) + " s", " text-anchor=\"middle\" font-size=\"11\"");
    }
}

void draw_legend(Canvas& canvas) {
    double x = kLeft;
    const double y = kAxisY + 60;
    const auto swatch = [&](std::string_view colour, std::string_view label) {
        canvas.rect(x, y - 10, 12, 12, colour);
        canvas.text(x + 17, y, label, " font-size=\"11\"");
        x += 24 + 6.2 * static_cast<double>(label.size());
    };
    const auto stroke = [&](std::string_view colour, std::string_view dash, std::string_view label) {
        canvas.line(x, y - 4, x + 18, y - 4, colour, " stroke-width=\"2\"" + std::string(dash));
        canvas.text(x + 23, y, label, " font-size=\"11\"");
        x += 30 + 6.2 * static_cast<double>(label.size());
    };
    canvas.text(x, y - 18, "breaker state", " font-size=\"11\" font-weight=\"bold\"");
    swatch(state_colour(State::closed), "closed");
    swatch(state_colour(State::open), "open");
    swatch(state_colour(State::half_open), "half_open");
    x += 20;
    const double rates_x = x;
    canvas.text(x, y - 18, "window rates", " font-size=\"11\" font-weight=\"bold\"");
    stroke(kFailureRateColour, "", "failure rate");
    stroke(kSlowRateColour, " stroke-dasharray=\"5,3\"", "slow rate");
    canvas.text(rates_x, y + 16, "no line: the window is empty (it resets on every transition)",
                " font-size=\"10\" fill=\"#616161\"");
    x += 20;
    canvas.text(x, y - 18, "calls", " font-size=\"11\" font-weight=\"bold\"");
    swatch(kSucceededColour, "succeeded");
    swatch(kClientErrorColour, "4xx (not a failure)");
    swatch(kFailedColour, "failed");
    swatch(kRejectedColour, "rejected by the breaker");
}

}  // namespace

std::string timeline_svg(const Scenario& scenario, const Recorder& recorder, const Summary& summary, int threads) {
    Canvas canvas(scenario.duration_s);
    canvas.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(kWidth) + "\" height=\"" +
               number(kHeight) + "\" viewBox=\"0 0 " + number(kWidth) + " " + number(kHeight) +
               "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n");
    canvas.rect(0, 0, kWidth, kHeight, "#ffffff");
    canvas.text(kLabelX, 22,
                "fluxgate demo: " + std::to_string(threads) +
                    " threads calling a failing HTTP service through one circuit breaker",
                " font-size=\"16\" font-weight=\"bold\"");
    // The settings do not fit on one line: break before the retry.
    const std::string settings = scenario.describe_breaker();
    const std::size_t split = settings.find(", Backoff");
    canvas.text(kLabelX, 40, "breaker: " + settings.substr(0, split), " font-size=\"11\" fill=\"#424242\"");
    if (split != std::string::npos) {
        canvas.text(kLabelX, 54, settings.substr(split + 2), " font-size=\"11\" fill=\"#424242\"");
    }

    draw_bands(canvas, scenario, summary);
    draw_rates(canvas, scenario, recorder);
    draw_calls(canvas, recorder, summary);
    draw_phase_boundaries(canvas, scenario);
    draw_axis(canvas, scenario);
    draw_legend(canvas);

    char footer[160];
    std::snprintf(footer, sizeof footer, "opens %d, reopens %d, final state %s%s", summary.opens, summary.reopens,
                  std::string(fluxgate::to_string(summary.final_state)).c_str(),
                  summary.interrupted ? ", interrupted" : "");
    canvas.text(kLeft + kPlotWidth, kHeight - 12, footer, " text-anchor=\"end\" font-size=\"11\" fill=\"#424242\"");
    canvas.raw("</svg>\n");
    return canvas.str();
}

}  // namespace demo
