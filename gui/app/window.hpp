// SPDX-License-Identifier: GPL-2.0-or-later
// The window: GLFW + OpenGL 3.2 core + Dear ImGui (Debian's libimgui with its
// GLFW and OpenGL3 backends), the frame loop that sleeps while nothing
// changes, textures for the heat map, and screenshots as PNG.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/result.hpp"

struct GLFWwindow;
struct ImFont;

namespace p2pscope::gui::ui {

struct WindowOptions {
    int width = 1600, height = 1000;
    std::string title = "p2pscope";
    bool vsync = true;
    bool visible = true;
};

struct Fonts {
    ImFont* text = nullptr;  // proportional, the default
    ImFont* mono = nullptr;  // BDFs, matrix labels
};

// RGBA pixels, top row first.
struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgba;
};

class Window {
public:
    // Errors when no display can be opened or the GL context is missing.
    static Result<std::unique_ptr<Window>> open(const WindowOptions& options);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    GLFWwindow* handle() const { return window_; }
    const Fonts& fonts() const { return fonts_; }
    bool should_close() const;

    // Input since the last call (mouse, keys, resize, focus): the frame loop's cue to draw.
    bool take_input();
    // Wakes a sleeping loop from any thread (the Store's waker).
    static void post_wakeup();

    void begin_frame();
    // Where a frame's time goes after the UI was built (benchmark); drawing waits for the GPU (glFinish).
    struct Timing {
        double imgui_render_ms = 0, gl_draw_ms = 0, swap_ms = 0;
    };
    // Renders ImGui's draw data; `capture` reads the finished frame back before it is shown.
    void end_frame(Image* capture = nullptr, Timing* timing = nullptr);

    std::pair<int, int> framebuffer_size() const;
    // Moves the pointer into the window (screenshots of hover states) and gives the window the focus.
    void place_pointer(double x, double y);
    std::string renderer() const;  // GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"

private:
    Window() = default;
    GLFWwindow* window_ = nullptr;
    Fonts fonts_;
    bool imgui_ready_ = false, glfw_backend_ = false, gl_backend_ = false;
};

// A texture the heat map draws from: nearest filtering, re-uploaded only when its pixels change.
class Texture {
public:
    Texture() = default;
    ~Texture();
    Texture(const Texture&) = delete;
    Texture& operator=(const Texture&) = delete;
    void upload(int width, int height, const uint8_t* rgba);
    void* id() const;  // ImTextureID
    bool valid() const { return tex_ != 0; }

private:
    unsigned tex_ = 0;
};

Status write_png(const std::string& path, const Image& image);
Result<Image> read_png(const std::string& path);

}  // namespace p2pscope::gui::ui
